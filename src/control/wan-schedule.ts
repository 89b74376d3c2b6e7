// When a chunk leaves one direction of an emulated link: serialisation, propagation, jitter, FIFO order.
// Pure arithmetic over times in ms; the pipe that applies it lives in wan-pipe.ts.

export interface LinkShape {
  /** Propagation delay one way: half the link's RTT. */
  readonly oneWayMs: number;
  /** Extra delay per chunk, uniform in [0, jitterMs). */
  readonly jitterMs: number;
  /** Serialisation rate; undefined for an unlimited wire. */
  readonly bandwidthBytesPerSec: number | undefined;
}

export interface WireState {
  /** When the previous chunk was delivered: no chunk may overtake it (TCP keeps order). */
  readonly lastDeliverAt: number;
  /** When the wire finishes serialising what was sent before (the virtual "wire free at" time). */
  readonly wireFreeAt: number;
}

export const IDLE_WIRE: WireState = Object.freeze({ lastDeliverAt: -Infinity, wireFreeAt: -Infinity });

export interface Scheduled {
  readonly deliverAt: number;
  readonly wire: WireState;
}

/**
 * A chunk of `bytes` arriving at `arrivalMs` goes on the wire once it is free, takes bytes / bandwidth to
 * serialise, then one-way delay plus jitter to arrive; it is delivered no earlier than the chunk before it:
 * deliverAt = max(lastDeliverAt, sentAt + oneWay + jitter). `random` returns a number in [0, 1).
 */
export function scheduleChunk(
  wire: WireState,
  arrivalMs: number,
  bytes: number,
  shape: LinkShape,
  random: () => number,
): Scheduled {
  const start = Math.max(wire.wireFreeAt, arrivalMs);
  const serialiseMs =
    shape.bandwidthBytesPerSec === undefined ? 0 : (bytes * 1000) / shape.bandwidthBytesPerSec;
  const sentAt = start + serialiseMs;
  const jitter = shape.jitterMs > 0 ? random() * shape.jitterMs : 0;
  const deliverAt = Math.max(wire.lastDeliverAt, sentAt + shape.oneWayMs + jitter);
  return { deliverAt, wire: { lastDeliverAt: deliverAt, wireFreeAt: sentAt } };
}
