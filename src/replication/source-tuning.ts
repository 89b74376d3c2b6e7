// How a replication source cuts batches and keeps an idle stream alive.

import { resolveTuning } from './tuning.ts';

export interface SourceTuning {
  /** At most this many entries per batch. */
  readonly maxBatchEntries: number;
  /** A batch stops growing past this many (estimated) bytes; a single larger entry still goes alone. */
  readonly maxBatchBytes: number;
  /** Once caught up, how long to wait after a new append for more to join the batch (a backlog never waits). */
  readonly lingerMs: number;
  /** A stream with nothing sent for this long sends an empty batch, so the puller can tell a quiet peer from a dead link. */
  readonly heartbeatMs: number;
}

export const DEFAULT_SOURCE_TUNING: SourceTuning = Object.freeze({
  maxBatchEntries: 500,
  maxBatchBytes: 1024 * 1024,
  lingerMs: 5,
  heartbeatMs: 1000,
});

export function resolveSourceTuning(given?: Partial<SourceTuning>): SourceTuning {
  return resolveTuning(
    'replication.source',
    { ...DEFAULT_SOURCE_TUNING },
    {
      maxBatchEntries: { min: 1, integer: true },
      maxBatchBytes: { min: 1 },
      lingerMs: { min: 0 },
      heartbeatMs: { min: 1 },
    },
    given,
  );
}
