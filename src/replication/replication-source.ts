// Serves a region's log to pullers: the backlog from where each puller is (or a snapshot first, when the
// puller needs entries the log no longer holds), then new entries as they are appended, in batches cut
// by count, bytes and a short linger, with heartbeats while idle and the region's progress matrix.

import type { Clock } from '../core/clock.ts';
import { maxVector, sameVector, seqOf, type SeqVector } from '../core/seq-vector.ts';
import type { LogEntry, Store } from '../store/store.ts';
import { readBatch } from './batch-reader.ts';
import { createDoorbell } from './doorbell.ts';
import type { LogWatch } from './log-notifier.ts';
import type { ProgressTracker } from './progress-tracker.ts';
import { checkPullRequest } from './pull-request.ts';
import type { PullRequest, ReplicationBatch, ReplicationSource } from './replication-port.ts';
import type { ReplicatorEvent } from './replicator-events.ts';
import { missingOrigins, resumePoint } from './resume-point.ts';
import { snapshotParts } from './snapshot-parts.ts';
import { resolveSourceTuning, type SourceTuning } from './source-tuning.ts';

export interface ReplicationSourceOptions {
  /** The region this source serves (the batches' `from`). */
  readonly region: string;
  /** The region's store, as wrapped by notifyingStore so that `appends` sees every append and truncation. */
  readonly store: Store;
  readonly appends: LogWatch;
  /** Sleeps for linger and heartbeats, and the time that spaces heartbeats. */
  readonly clock: Clock;
  /** The region's progress matrix: it learns each puller's applied vector and travels in the batches. */
  readonly progress?: ProgressTracker;
  readonly tuning?: Partial<SourceTuning>;
  /**
   * The closed timestamps to send (see ReplicationBatch.closed): this region's clock for its own changes
   * and what it was told of the others'. Read before the log, so every change they cover is in it.
   */
  readonly closed?: () => Readonly<Record<string, number>>;
  /** True while a write waits for acknowledgements: batches go out without lingering. */
  readonly urgent?: () => boolean;
  /** Called for every snapshot served ('snapshot-sent'); it must not throw. */
  readonly onEvent?: (event: ReplicatorEvent) => void;
}

export function createReplicationSource(options: ReplicationSourceOptions): ReplicationSource {
  const { region, store, appends, clock, progress } = options;
  const tuning = resolveSourceTuning(options.tuning);

  return {
    async *serve(request: PullRequest, signal: AbortSignal): AsyncGenerator<ReplicationBatch> {
      /** What the puller has: its applied vector, then a snapshot's and every entry sent. */
      const covered = new Map(checkPullRequest(request));
      progress?.learnPull(request.region, request.applied);
      const start = await resumePoint(store, request.applied);
      // One wake-up per stream, rung by appends, truncations, the heartbeat timer and abort: waiting
      // costs no allocation beyond a promise, and at most one heartbeat timer is outstanding.
      const bell = createDoorbell();
      const unsubscribe = appends.subscribe(bell.ring);
      signal.addEventListener('abort', bell.ring, { once: true });
      let heartbeatArmed = false;
      const armHeartbeat = (dueInMs: number) => {
        if (heartbeatArmed) return;
        heartbeatArmed = true;
        void clock.sleep(dueInMs, signal).then(() => {
          heartbeatArmed = false;
          bell.ring();
        });
      };
      let lastSentAt = clock.now();
      let progressCheckedAt: number | undefined;
      let progressSent = -1;
      let batchesSent = 0;
      /** This region's applied vector as last sent on this stream. */
      let ownSent: SeqVector | undefined;
      /**
       * This region applied more of the puller's own changes than it last said: an acknowledgement the
       * puller may be waiting for (a sync write), sent at once rather than with the next heartbeat.
       */
      const ackDue = async (): Promise<boolean> => {
        if (progress === undefined) return false;
        await progress.refresh();
        return seqOf(progress.ownApplied(), request.region) !== seqOf(ownSent ?? {}, request.region);
      };
      /**
       * The sender's head, closed timestamps when given, the whole progress matrix when it changed
       * (checked at most once per heartbeat), else this region's own row when it moved.
       */
      const extras = async (
        closed?: Readonly<Record<string, number>>,
      ): Promise<Pick<ReplicationBatch, 'n' | 'senderHead' | 'progress' | 'closed'>> => {
        lastSentAt = clock.now();
        const senderHead = await store.logHead();
        const n = ++batchesSent;
        // Closed timestamps read before the batch was cut hold if the batch reaches the head read after.
        const base =
          closed !== undefined && after >= senderHead ? { n, senderHead, closed } : { n, senderHead };
        if (progress === undefined) return base;
        const due = progressCheckedAt === undefined || lastSentAt - progressCheckedAt >= tuning.heartbeatMs;
        if (due) {
          progressCheckedAt = lastSentAt;
          await progress.refresh();
          if (progress.changes !== progressSent) {
            progressSent = progress.changes;
            ownSent = progress.ownApplied();
            return { ...base, progress: progress.report() };
          }
        }
        // As last refreshed (ackDue refreshes it whenever an acknowledgement may be due).
        const own = progress.ownApplied();
        if (ownSent !== undefined && sameVector(own, ownSent)) return base;
        ownSent = own;
        const row = progress.report()[region];
        return row === undefined ? base : { ...base, progress: { [region]: row } };
      };

      // The first batch goes out at once, even empty: it tells the puller the stream is up, how far the
      // log reaches and what this region has applied.
      let greeting: Pick<ReplicationBatch, 'applied'> | undefined = { applied: await store.appliedSeqs() };
      const first = (): Pick<ReplicationBatch, 'applied'> => {
        const extra = greeting ?? {};
        greeting = undefined;
        return extra;
      };
      let after: number;
      try {
        if (start.kind === 'snapshot') {
          const snapshot = await store.openSnapshot();
          try {
            let records = 0;
            for await (const part of snapshotParts(snapshot, tuning, signal)) {
              records += part.records.length;
              yield { from: region, entries: [], ...first(), ...(await extras()), snapshot: part };
            }
            after = snapshot.head;
            for (const [origin, seq] of Object.entries(
              maxVector(Object.fromEntries(covered), snapshot.applied),
            )) {
              covered.set(origin, seq);
            }
            emit({ type: 'snapshot-sent', peer: request.region, origins: start.origins, records });
          } finally {
            await snapshot.close();
          }
        } else {
          after = start.after;
        }
        let truncationsSeen = appends.truncations;
        while (!signal.aborted) {
          bell.reset();
          const seen = appends.appends;
          if (appends.truncations !== truncationsSeen) {
            truncationsSeen = appends.truncations;
            // Entries this puller still lacked left the log: end the stream, and the next pull (from
            // where the puller really is) gets a snapshot.
            const gone = missingOrigins(await store.truncatedSeqs(), Object.fromEntries(covered));
            if (gone.length > 0) return;
          }
          const closed = options.closed?.();
          const cut = await readBatch(store, after, covered, tuning);
          after = cut.after;
          noteSent(covered, cut.entries);
          if (greeting !== undefined || cut.entries.length > 0) {
            yield { from: region, entries: cut.entries, ...first(), ...(await extras(closed)) };
            continue;
          }
          // A clock stepped backwards counts as due, rather than silencing the stream until it catches up.
          const quietMs = clock.now() - lastSentAt;
          if (quietMs >= tuning.heartbeatMs || quietMs < 0 || (await ackDue())) {
            yield { from: region, entries: [], ...(await extras(closed)) };
            continue;
          }
          armHeartbeat(tuning.heartbeatMs - quietMs);
          await bell.wait();
          // Woken by an append: let the appends that follow closely join the same batch, unless an
          // acknowledgement is due.
          const linger = tuning.lingerMs > 0 && !signal.aborted && options.urgent?.() !== true;
          if (appends.appends > seen && linger && !(await ackDue()))
            await clock.sleep(tuning.lingerMs, signal);
        }
      } finally {
        unsubscribe();
        signal.removeEventListener('abort', bell.ring);
      }
    },
  };

  function emit(event: ReplicatorEvent): void {
    try {
      options.onEvent?.(event);
    } catch {
      // A failing listener (a metrics bug) must not stop serving.
    }
  }
}

/** The puller has every entry sent: its origin's seq in `covered` moves up (entries come in seq order). */
function noteSent(covered: Map<string, number>, entries: readonly LogEntry[]): void {
  for (const entry of entries) {
    if (entry.originSeq > (covered.get(entry.origin) ?? 0)) covered.set(entry.origin, entry.originSeq);
  }
}
