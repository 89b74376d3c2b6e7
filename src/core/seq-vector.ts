// Seq vectors: per origin, the highest originSeq of something (applied, truncated, stable). An absent
// origin counts as 0. Pure functions over plain objects; merges are commutative, associative, idempotent.

export type SeqVector = Readonly<Record<string, number>>;

/** The seq of `origin` in `vector`: 0 when absent or not a whole positive number. */
export function seqOf(vector: SeqVector, origin: string): number {
  if (!Object.hasOwn(vector, origin)) return 0;
  const seq = vector[origin];
  return typeof seq === 'number' && Number.isFinite(seq) && seq > 0 ? Math.floor(seq) : 0;
}

/** Per origin, the larger seq (the join of two vectors). */
export function maxVector(a: SeqVector, b: SeqVector): Record<string, number> {
  const out: Record<string, number> = {};
  for (const origin of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const seq = Math.max(seqOf(a, origin), seqOf(b, origin));
    if (seq > 0) out[origin] = seq;
  }
  return out;
}

/** Per origin, the smallest seq over `vectors` (absent counts as 0, and 0s are left out). */
export function minVector(vectors: readonly SeqVector[]): Record<string, number> {
  const out: Record<string, number> = {};
  const [first, ...rest] = vectors;
  if (first === undefined) return out;
  for (const origin of Object.keys(first)) {
    const seq = Math.min(seqOf(first, origin), ...rest.map((v) => seqOf(v, origin)));
    if (seq > 0) out[origin] = seq;
  }
  return out;
}

/** Whether `a` has at least what `b` has, for every origin. */
export function covers(a: SeqVector, b: SeqVector): boolean {
  return Object.keys(b).every((origin) => seqOf(a, origin) >= seqOf(b, origin));
}

/** Whether the two vectors hold the same seqs (absent and 0 are the same). */
export function sameVector(a: SeqVector, b: SeqVector): boolean {
  return covers(a, b) && covers(b, a);
}
