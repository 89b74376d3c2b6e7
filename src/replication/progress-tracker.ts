// One region's view of every region's replication progress: the pure matrix clock (core/progress-matrix)
// fed with this region's own applied vector and clock, the reports its peers send in batches, and the
// applied vectors of pull requests. Sources send it on, the log collector reads the watermarks from it.

import { createProgressMatrix, type ProgressReport } from '../core/progress-matrix.ts';
import { seqOf, type SeqVector } from '../core/seq-vector.ts';
import type { Store } from '../store/store.ts';
import type { RegionClock } from './region-clock.ts';

export interface ProgressTracker {
  /** Reads this region's applied vector and clock into its own row. */
  refresh(): Promise<void>;
  /** Merges what a peer knows (a batch's `progress`). */
  learn(report: ProgressReport): void;
  /** A puller connected with this applied vector: a report of its row. */
  learnPull(region: string, applied: SeqVector): void;
  report(): ProgressReport;
  /** Grows whenever the matrix changed. */
  readonly changes: number;
  /** See ProgressMatrix.watermark: the log entries every region has. */
  watermark(): SeqVector | undefined;
  /** See ProgressMatrix.stable: the tombstones that may be purged here. */
  stable(): SeqVector | undefined;
  /** This region's own applied vector as last refreshed. */
  ownApplied(): SeqVector;
  /** The regions (this one included) known to have applied `origin`'s change `seq`. */
  holders(origin: string, seq: number): string[];
  /** Calls `onChange` whenever the matrix changed, until the returned function is called. */
  subscribe(onChange: () => void): () => void;
}

export interface ProgressTrackerOptions {
  readonly region: string;
  /** Every configured region, this one included. */
  readonly regions: readonly string[];
  readonly store: Store;
  readonly regionClock: RegionClock;
}

export function createProgressTracker(options: ProgressTrackerOptions): ProgressTracker {
  const { region, store, regionClock } = options;
  const matrix = createProgressMatrix(region, options.regions);
  const listeners = new Set<() => void>();
  let own: SeqVector = {};
  let heard = matrix.changes;
  const notify = () => {
    if (matrix.changes === heard) return;
    heard = matrix.changes;
    for (const listener of listeners) listener();
  };

  /**
   * A region that lost its store learns from its peers how far its clock had gone, and moves its clock
   * there: every version it issues from then on is above every change it had applied before (some of
   * which its peers may since have purged on the strength of its reports).
   */
  function adoptOwnClock(): void {
    const remembered = matrix.ownClockAsKnown();
    if (remembered !== undefined) regionClock.adopt(remembered);
  }

  return {
    async refresh() {
      const applied = await store.appliedSeqs();
      own = applied;
      matrix.setOwn({ applied, clock: regionClock.version() });
      notify();
    },
    learn(report) {
      matrix.learn(report);
      adoptOwnClock();
      notify();
    },
    learnPull(puller, applied) {
      matrix.learn({ [puller]: { applied } });
      notify();
    },
    ownApplied: () => own,
    holders(origin, seq) {
      const rows = matrix.report();
      return Object.keys(rows).filter((r) => seqOf(rows[r]!.applied, origin) >= seq);
    },
    subscribe(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    report: () => matrix.report(),
    get changes() {
      return matrix.changes;
    },
    watermark: () => matrix.watermark(),
    stable: () => matrix.stable(),
  };
}
