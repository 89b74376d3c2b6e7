// Collects what every region has: every gcIntervalMs, truncates the log at the watermark of the progress
// matrix and purges the tombstones that are stable and older than the grace period.

import type { Clock } from '../core/clock.ts';
import { formatVersion } from '../core/version.ts';
import type { Store } from '../store/store.ts';
import type { ProgressTracker } from './progress-tracker.ts';
import type { ReplicatorEvent } from './replicator-events.ts';
import { resolveRetentionTuning, type RetentionTuning } from './retention-tuning.ts';

export interface LogCollectorOptions {
  /** The region's store, as wrapped by notifyingStore so that sources see truncations. */
  readonly store: Store;
  readonly progress: ProgressTracker;
  /** Physical time (the tombstone grace) and the sleeps between runs. */
  readonly clock: Clock;
  readonly tuning?: Partial<RetentionTuning>;
  /** Called after every run with a 'collected' event; it must not throw. */
  readonly onEvent?: (event: ReplicatorEvent) => void;
}

export interface CollectOutcome {
  readonly truncated: number;
  readonly purged: number;
  /** A configured region's progress is unknown: nothing was collected. */
  readonly blocked: boolean;
}

export interface LogCollector {
  /** Starts the periodic runs (none when gcIntervalMs is 0). Calling it again does nothing. */
  start(): void;
  /** Stops the runs and waits for the one in progress. Idempotent. */
  stop(): Promise<void>;
  /** One run, now. */
  collect(): Promise<CollectOutcome>;
}

export function createLogCollector(options: LogCollectorOptions): LogCollector {
  const { store, progress, clock } = options;
  const tuning = resolveRetentionTuning(options.tuning);
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;

  async function collect(): Promise<CollectOutcome> {
    await progress.refresh();
    const watermark = progress.watermark();
    const stable = progress.stable();
    if (watermark === undefined || stable === undefined) return { truncated: 0, purged: 0, blocked: true };
    const truncated = await store.truncateLog(watermark);
    // Below the smallest version of the cutoff's millisecond ('0' is the lowest region name): older than it.
    const cutoff = Math.max(0, Math.floor(clock.now() - tuning.tombstoneGraceMs));
    const versionBelow =
      tuning.tombstoneGraceMs > 0 ? formatVersion({ wall: cutoff, counter: 0 }, '0') : undefined;
    const purged = await store.purgeTombstones(stable, { versionBelow });
    return { truncated, purged, blocked: false };
  }

  async function run(): Promise<void> {
    const signal = stopping.signal;
    while (!signal.aborted) {
      await clock.sleep(tuning.gcIntervalMs, signal);
      if (signal.aborted) return;
      try {
        const outcome = await collect();
        emit({ type: 'collected', ...outcome });
      } catch {
        // A closed store (the region is stopping) or a transient failure: the next run tries again.
      }
    }
  }

  function emit(event: ReplicatorEvent): void {
    try {
      options.onEvent?.(event);
    } catch {
      // A failing listener must not stop collection.
    }
  }

  return {
    start() {
      if (loop !== undefined || stopping.signal.aborted || tuning.gcIntervalMs === 0) return;
      loop = run();
    },
    async stop() {
      stopping.abort();
      await loop;
    },
    collect,
  };
}
