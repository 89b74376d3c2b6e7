// How often a region collects its log and tombstones, and how old a tombstone must be before it goes.

import { resolveTuning } from './tuning.ts';

export interface RetentionTuning {
  /** How often the log collector runs; 0 turns collection off (logs and tombstones then grow forever). */
  readonly gcIntervalMs: number;
  /**
   * A tombstone is purged only once its version's wall time is this much older than our physical clock,
   * on top of the stability rule (see docs/INTERNALS.md): deleted keys keep their tombstone this long.
   */
  readonly tombstoneGraceMs: number;
}

export const DEFAULT_RETENTION_TUNING: RetentionTuning = Object.freeze({
  gcIntervalMs: 30_000,
  tombstoneGraceMs: 60 * 60_000,
});

export function resolveRetentionTuning(given?: Partial<RetentionTuning>): RetentionTuning {
  return resolveTuning(
    'replication.retention',
    { ...DEFAULT_RETENTION_TUNING },
    { gcIntervalMs: { min: 0 }, tombstoneGraceMs: { min: 0 } },
    given,
  );
}
