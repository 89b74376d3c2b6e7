// Hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014): timestamps that follow
// physical time but never go backwards, and order causally related events across regions.
// Pure: the physical time is passed in by the caller.

export interface HlcTimestamp {
  /** Milliseconds since the epoch: the largest physical time seen. */
  readonly wall: number;
  /** Logical counter that orders events within the same millisecond. */
  readonly counter: number;
}

export const HLC_ZERO: HlcTimestamp = Object.freeze({ wall: 0, counter: 0 });
const MAX_COUNTER = 0xffff;

export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  return a.wall - b.wall || a.counter - b.counter;
}

/** The timestamp of a local event at physical time `physicalMs`, after `last`. */
export function tickHlc(last: HlcTimestamp, physicalMs: number): HlcTimestamp {
  if (physicalMs > last.wall) return { wall: physicalMs, counter: 0 };
  return bump(last);
}

export type ReceiveResult =
  { readonly ok: true; readonly clock: HlcTimestamp } | { readonly ok: false; readonly offsetMs: number };

/**
 * Merges a remote timestamp into the local clock. A remote wall time more than `maxOffsetMs` ahead of
 * the local physical time is refused: applying it would drag every later local timestamp into the future.
 */
export function receiveHlc(
  last: HlcTimestamp,
  remote: HlcTimestamp,
  physicalMs: number,
  maxOffsetMs: number,
): ReceiveResult {
  const offsetMs = remote.wall - physicalMs;
  if (offsetMs > maxOffsetMs) return { ok: false, offsetMs };
  const wall = Math.max(last.wall, remote.wall, physicalMs);
  let counter: number;
  if (wall === last.wall && wall === remote.wall) counter = Math.max(last.counter, remote.counter) + 1;
  else if (wall === last.wall) counter = last.counter + 1;
  else if (wall === remote.wall) counter = remote.counter + 1;
  else counter = 0;
  if (counter > MAX_COUNTER) return { ok: true, clock: { wall: wall + 1, counter: 0 } };
  return { ok: true, clock: { wall, counter } };
}

function bump(ts: HlcTimestamp): HlcTimestamp {
  // A counter overflow borrows the next millisecond: still monotonic, slightly ahead of physical time.
  return ts.counter >= MAX_COUNTER
    ? { wall: ts.wall + 1, counter: 0 }
    : { wall: ts.wall, counter: ts.counter + 1 };
}
