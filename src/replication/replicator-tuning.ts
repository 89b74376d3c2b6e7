// How a replicator reconnects and when it gives up on a silent stream.

import { resolveTuning } from './tuning.ts';

export interface ReplicatorTuning {
  /** Ceiling of the first reconnect delay; doubles per failed attempt (half of it is jitter). */
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /**
   * A stream that delivers nothing (not even a heartbeat) for this long is dropped and re-pulled: a
   * partition can black-hole a connection without closing it. Keep it a few source heartbeats long.
   */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_REPLICATOR_TUNING: ReplicatorTuning = Object.freeze({
  backoffInitialMs: 100,
  backoffMaxMs: 5000,
  idleTimeoutMs: 5000,
});

export function resolveReplicatorTuning(given?: Partial<ReplicatorTuning>): ReplicatorTuning {
  const tuning = resolveTuning(
    'replication.replicator',
    { ...DEFAULT_REPLICATOR_TUNING },
    { backoffInitialMs: { min: 1 }, backoffMaxMs: { min: 1 }, idleTimeoutMs: { min: 1 } },
    given,
  );
  return tuning.backoffMaxMs >= tuning.backoffInitialMs
    ? tuning
    : Object.freeze({ ...tuning, backoffMaxMs: tuning.backoffInitialMs });
}
