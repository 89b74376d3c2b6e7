// Dots and causal contexts: the bookkeeping that lets a state-based CRDT tell "removed" from "not yet seen".
// This is the dot-store design of Almeida, Shoker and Baquero, "Delta State Replicated Data Types"
// (JPDC 2018, section 5, causal CRDTs), with the context kept as one maximum stamp per replica.

/**
 * The unique id of one write: the replica (region) that made it, the write's timestamp (its HLC version
 * string) and the op's index within the request. Per replica, (time, index) only grows.
 */
export interface Dot {
  readonly replica: string;
  readonly time: string;
  readonly index: number;
}

/** A position in one replica's sequence of writes. */
export interface Stamp {
  readonly time: string;
  readonly index: number;
}

/**
 * Everything a state has seen: per replica, the largest stamp. A replica applies each write to its own
 * latest state, so a state that has seen a replica's stamp s has seen every earlier write of that replica
 * too; one stamp per replica therefore describes the whole set of observed dots.
 */
export type CausalContext = ReadonlyMap<string, Stamp>;

export function compareStamps(a: Stamp, b: Stamp): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : a.index - b.index;
}

/** The last-writer-wins order of dots: timestamp, then replica (the tie-break), then op index. */
export function compareDots(a: Dot, b: Dot): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.replica !== b.replica) return a.replica < b.replica ? -1 : 1;
  return a.index - b.index;
}

export function sameDot(a: Dot, b: Dot): boolean {
  return a.index === b.index && a.time === b.time && a.replica === b.replica;
}

/** Whether a state with context `cc` has seen `dot` (and so, if it no longer holds it, removed it). */
export function covers(cc: CausalContext, dot: Dot): boolean {
  const seen = cc.get(dot.replica);
  return seen !== undefined && compareStamps(dot, seen) <= 0;
}

export function mergeContexts(a: CausalContext, b: CausalContext): CausalContext {
  if (a.size === 0) return b;
  if (b.size === 0) return a;
  const out = new Map(a);
  for (const [replica, stamp] of b) {
    const mine = out.get(replica);
    if (mine === undefined || compareStamps(stamp, mine) > 0) out.set(replica, stamp);
  }
  return out;
}

/**
 * The join of two dotted collections (a dot set, or entries keyed by dot): an entry survives when both
 * sides hold it, or when one side holds it and the other has not seen it. An entry one side has seen and
 * dropped was removed there, and stays removed. `pick` chooses between two payloads of the same dot; it
 * must be commutative, associative and idempotent (a max). Lists are short (at most one dot per replica,
 * see codec.ts), so the scan is cheap; the result is sorted by dot, one form for one value.
 */
export function mergeDotted<T>(
  a: readonly T[],
  b: readonly T[],
  ccA: CausalContext,
  ccB: CausalContext,
  dotOf: (entry: T) => Dot,
  pick: (x: T, y: T) => T,
): T[] {
  const out: T[] = [];
  for (const x of a) {
    const dx = dotOf(x);
    const y = b.find((e) => sameDot(dotOf(e), dx));
    if (y !== undefined) out.push(pick(x, y));
    else if (!covers(ccB, dx)) out.push(x);
  }
  for (const y of b) {
    const dy = dotOf(y);
    if (!covers(ccA, dy) && !a.some((e) => sameDot(dotOf(e), dy))) out.push(y);
  }
  return out.length > 1 ? out.sort((x, y) => compareDots(dotOf(x), dotOf(y))) : out;
}

const self = (d: Dot): Dot => d;
const first = (d: Dot): Dot => d;

export function mergeDots(
  a: readonly Dot[],
  b: readonly Dot[],
  ccA: CausalContext,
  ccB: CausalContext,
): Dot[] {
  return mergeDotted(a, b, ccA, ccB, self, first);
}

/** The greatest dot in the last-writer-wins order, if any. */
export function maxDot(dots: readonly Dot[]): Dot | undefined {
  let best: Dot | undefined;
  for (const d of dots) if (best === undefined || compareDots(d, best) > 0) best = d;
  return best;
}
