// What a region needs to serve reads and writes at a consistency level: its applied vector and a wait
// for it to cover a session's positions, the peers' acknowledgements of a sync write (from the progress
// matrix, which peers now report as soon as they apply), and closed timestamps for bounded staleness.
// Shared by the region node and the simulator; time comes from the Clock port.

import type { Clock } from '../core/clock.ts';
import { covers, type SeqVector } from '../core/seq-vector.ts';
import type { Store } from '../store/store.ts';
import type { LogWatch } from './log-notifier.ts';
import type { ProgressTracker } from './progress-tracker.ts';

export interface RegionConsistency {
  /** This region's applied vector, read from its store. */
  applied(): Promise<SeqVector>;
  /** Resolves true as soon as the applied vector covers `need`, false after `timeoutMs`. */
  waitApplied(need: SeqVector, timeoutMs: number): Promise<boolean>;
  /**
   * The regions (this one included) known to have durably applied `origin`'s change `seq`; resolves as
   * soon as `count` of them do, or after `timeoutMs` with those that did.
   */
  waitAcks(origin: string, seq: number, count: number, timeoutMs: number): Promise<string[]>;
  /** Some write is waiting for acknowledgements: sources send without lingering. */
  readonly awaitingAcks: boolean;
  /** The regions (this one included) known to have applied at least `need`. */
  coveredBy(need: SeqVector): string[];
  /** Per origin, the closed timestamp known here (see ReplicationBatch.closed). */
  closed(): Readonly<Record<string, number>>;
  /** Merges a received batch's closed timestamps (only once its entries are all applied). */
  learnClosed(closed: Readonly<Record<string, number>>): void;
  /**
   * Whether this region holds every change of `origins` with a wall time below now - maxStalenessMs,
   * waiting up to `waitMs` for closed timestamps to advance.
   */
  waitFresh(origins: readonly string[], maxStalenessMs: number, waitMs: number): Promise<boolean>;
}

export interface RegionConsistencyOptions {
  readonly region: string;
  /** The notifying store: every apply appends to its log, which rings `appends`. */
  readonly store: Store;
  readonly appends: LogWatch;
  readonly progress: ProgressTracker;
  readonly clock: Clock;
}

/** Re-check at least this often, in case a change came by a path that rang nothing (a snapshot). */
const RECHECK_MS = 50;

export function createRegionConsistency(options: RegionConsistencyOptions): RegionConsistency {
  const { region, store, appends, progress, clock } = options;
  const closed: Record<string, number> = {};
  const closedListeners = new Set<() => void>();
  let ackWaits = 0;

  /** Calls `check` until it holds or `timeoutMs` passes, waking on `subscribe`'s rings and a timer. */
  async function waitFor(
    check: () => boolean | Promise<boolean>,
    subscribe: (ring: () => void) => () => void,
    timeoutMs: number,
  ): Promise<boolean> {
    if (await check()) return true;
    const deadline = clock.now() + timeoutMs;
    let wake: AbortController | undefined;
    const unsubscribe = subscribe(() => wake?.abort());
    try {
      for (;;) {
        const left = deadline - clock.now();
        if (left <= 0) return false;
        wake = new AbortController();
        await clock.sleep(Math.min(left, RECHECK_MS), wake.signal);
        if (await check()) return true;
      }
    } finally {
      unsubscribe();
    }
  }

  const onClosed = (ring: () => void) => {
    closedListeners.add(ring);
    return () => closedListeners.delete(ring);
  };

  function fresh(origins: readonly string[], maxStalenessMs: number): boolean {
    const horizon = clock.now() - maxStalenessMs;
    return origins.every((o) => o === region || (closed[o] ?? -Infinity) >= horizon);
  }

  return {
    applied: () => store.appliedSeqs(),
    async waitApplied(need, timeoutMs) {
      return waitFor(
        async () => covers(await store.appliedSeqs(), need),
        (ring) => appends.subscribe(ring),
        timeoutMs,
      );
    },
    async waitAcks(origin, seq, count, timeoutMs) {
      // The writer's own row: refreshed here, since its write just committed.
      await progress.refresh();
      let holders = progress.holders(origin, seq);
      ackWaits++;
      try {
        await waitFor(
          () => {
            holders = progress.holders(origin, seq);
            return holders.length >= count;
          },
          (ring) => progress.subscribe(ring),
          timeoutMs,
        );
      } finally {
        ackWaits--;
      }
      return holders;
    },
    get awaitingAcks() {
      return ackWaits > 0;
    },
    coveredBy(need) {
      const rows = progress.report();
      return Object.keys(rows).filter((r) => covers(rows[r]!.applied, need));
    },
    closed: () => closed,
    learnClosed(batch) {
      let moved = false;
      for (const [origin, at] of Object.entries(batch)) {
        if (origin === region || !Number.isFinite(at) || at <= (closed[origin] ?? -Infinity)) continue;
        closed[origin] = at;
        moved = true;
      }
      if (moved) for (const ring of closedListeners) ring();
    },
    waitFresh(origins, maxStalenessMs, waitMs) {
      return waitFor(() => fresh(origins, maxStalenessMs), onClosed, waitMs);
    },
  };
}
