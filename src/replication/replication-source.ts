// Serves a region's log to pullers: the backlog from where each puller is, then new entries as they are
// appended, in batches cut by count, bytes and a short linger, with heartbeats while idle.

import type { Clock } from '../core/clock.ts';
import type { Store } from '../store/store.ts';
import { readBatch } from './batch-reader.ts';
import { createDoorbell } from './doorbell.ts';
import type { LogWatch } from './log-notifier.ts';
import { checkPullRequest } from './pull-request.ts';
import type { PullRequest, ReplicationBatch, ReplicationSource } from './replication-port.ts';
import { resumePoint } from './resume-point.ts';
import { resolveSourceTuning, type SourceTuning } from './source-tuning.ts';

export interface ReplicationSourceOptions {
  /** The region this source serves (the batches' `from`). */
  readonly region: string;
  /** The region's store, as wrapped by notifyingStore so that `appends` sees every append. */
  readonly store: Store;
  readonly appends: LogWatch;
  /** Sleeps for linger and heartbeats, and the time that spaces heartbeats. */
  readonly clock: Clock;
  readonly tuning?: Partial<SourceTuning>;
}

export function createReplicationSource(options: ReplicationSourceOptions): ReplicationSource {
  const { region, store, appends, clock } = options;
  const tuning = resolveSourceTuning(options.tuning);

  return {
    async *serve(request: PullRequest, signal: AbortSignal): AsyncGenerator<ReplicationBatch> {
      const covered = checkPullRequest(request);
      const start = await resumePoint(store, request.applied);
      // One wake-up per stream, rung by appends, the heartbeat timer and abort: waiting costs no
      // allocation beyond a promise, and at most one heartbeat timer is outstanding.
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
      let after = start.after;
      let lastSentAt = clock.now();
      const batch = async (entries: ReplicationBatch['entries']): Promise<ReplicationBatch> => {
        lastSentAt = clock.now();
        return { from: region, entries, senderHead: await store.logHead() };
      };
      try {
        // The first batch goes out at once, even empty: it tells the puller the stream is up and how
        // far the log reaches.
        let greeted = false;
        while (!signal.aborted) {
          bell.reset();
          const seen = appends.appends;
          const cut = await readBatch(store, after, covered, tuning);
          after = cut.after;
          if (!greeted) {
            greeted = true;
            yield { ...(await batch(cut.entries)), applied: await store.appliedSeqs() };
            continue;
          }
          if (cut.entries.length > 0) {
            yield await batch(cut.entries);
            continue;
          }
          // A clock stepped backwards counts as due, rather than silencing the stream until it catches up.
          const quietMs = clock.now() - lastSentAt;
          if (quietMs >= tuning.heartbeatMs || quietMs < 0) {
            yield await batch([]);
            continue;
          }
          armHeartbeat(tuning.heartbeatMs - quietMs);
          await bell.wait();
          // Woken by an append: let the appends that follow closely join the same batch.
          if (appends.appends > seen && tuning.lingerMs > 0 && !signal.aborted)
            await clock.sleep(tuning.lingerMs, signal);
        }
      } finally {
        unsubscribe();
        signal.removeEventListener('abort', bell.ring);
      }
    },
  };
}
