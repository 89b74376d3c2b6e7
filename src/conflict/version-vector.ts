// Version vectors and dots for the `vector` conflict policy: which writes of which replica a state (or a
// client's causal context) has seen. Small pure functions over plain JSON objects; see vector-state.ts.

/** A replica (region) name, as in the config: the same rule as `REGION_NAME_RE`. */
export const REPLICA_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * The most replicas one version vector may name. It bounds the size of a context header and of a state's
 * metadata; a deployment of the vector policy must not have more regions than this writing one document.
 */
export const MAX_REPLICAS = 32;

/**
 * Per replica, the highest counter seen; an absent replica counts as 0, and 0 is never stored. It stands for
 * the set of dots `(r, 1..vv[r])` for every r. Types are mutable so that states are plain `JsonObject`s;
 * nothing in this directory mutates one after building it.
 */
export type VersionVector = { [replica: string]: number };

/** One write: the replica that took it and that replica's counter for it. Unique per document. */
export type Dot = [replica: string, counter: number];

/** How version vector `a` relates to `b`. */
export type Ordering = 'equal' | 'before' | 'after' | 'concurrent';

/** Whether `value` is a valid replica name. */
export function isReplicaName(value: unknown): value is string {
  return typeof value === 'string' && REPLICA_RE.test(value);
}

/** Whether `value` is a valid counter: a positive safe integer. */
export function isCounter(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * `vv[replica]`, or 0 when absent. Uses `Object.hasOwn` because `constructor` is a valid replica name and
 * `{}.constructor` is not a counter.
 */
export function counterOf(vv: VersionVector, replica: string): number {
  return Object.hasOwn(vv, replica) ? (vv[replica] ?? 0) : 0;
}

/** Whether the vector has seen the dot. */
export function coversDot(vv: VersionVector, dot: Dot): boolean {
  return counterOf(vv, dot[0]) >= dot[1];
}

/** A vector with the given entries, keys sorted (so equal vectors serialise to equal JSON), zeros dropped. */
export function vectorFrom(entries: Iterable<readonly [string, number]>): VersionVector {
  const sorted = [...entries].filter(([, n]) => n > 0).sort(([a], [b]) => compareStrings(a, b));
  const out: VersionVector = {};
  for (const [replica, n] of sorted) out[replica] = n;
  return out;
}

/** The pointwise maximum: the union of the dot sets the two vectors stand for. */
export function joinVectors(a: VersionVector, b: VersionVector): VersionVector {
  const replicas = new Set([...Object.keys(a), ...Object.keys(b)]);
  return vectorFrom([...replicas].map((r) => [r, Math.max(counterOf(a, r), counterOf(b, r))] as const));
}

/** How `a` relates to `b`: `before` means b has seen everything a has and more. */
export function compareVectors(a: VersionVector, b: VersionVector): Ordering {
  let aAhead = false;
  let bAhead = false;
  for (const r of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = counterOf(a, r);
    const y = counterOf(b, r);
    if (x > y) aAhead = true;
    else if (y > x) bAhead = true;
  }
  if (aAhead && bAhead) return 'concurrent';
  if (aAhead) return 'after';
  if (bAhead) return 'before';
  return 'equal';
}

/** The entries of `a` above `b` (what a has seen that b has not, per replica), or `{}` when b covers a. */
export function aheadOf(a: VersionVector, b: VersionVector): VersionVector {
  return vectorFrom(Object.keys(a).flatMap((r) => (counterOf(a, r) > counterOf(b, r) ? [[r, a[r]!]] : [])));
}

/** The total order of dots used for sibling order: by replica name, then counter. */
export function compareDots(a: Dot, b: Dot): number {
  return compareStrings(a[0], b[0]) || a[1] - b[1];
}

/** Code-unit order, the same on every runtime and locale (unlike `localeCompare`). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
