// One connection to one upstream peer: pull from our applied vector, apply every batch in order, and
// end with the reason the stream stopped (the replicator loop decides when to try again).

import type { Clock } from '../core/clock.ts';
import type { Store } from '../store/store.ts';
import { linkedAbort, type LinkedAbort } from './abortable.ts';
import { applyEntries } from './apply-entry.ts';
import { applySnapshotPart, newSnapshotState } from './apply-snapshot.ts';
import type { MutablePeerStats } from './peer-stats.ts';
import type { ProgressTracker } from './progress-tracker.ts';
import type { RegionClock } from './region-clock.ts';
import type { ReplicationTransport } from './replication-port.ts';
import type { DisconnectReason, ReplicatorEvent } from './replicator-events.ts';

export interface SessionContext {
  readonly region: string;
  readonly peer: string;
  readonly store: Store;
  readonly transport: ReplicationTransport;
  readonly regionClock: RegionClock;
  readonly clock: Clock;
  readonly idleTimeoutMs: number;
  readonly stats: MutablePeerStats;
  readonly emit: (event: ReplicatorEvent) => void;
  /** The region's progress matrix: what the peer knows of every region's progress is merged into it. */
  readonly progress?: ProgressTracker;
  /** Told of a batch's closed timestamps once all its entries are applied. */
  readonly onClosed?: (closed: Readonly<Record<string, number>>) => void;
}

export interface SessionOutcome {
  readonly reason: DisconnectReason;
  /** The stream worked (delivered a batch) and ended for a reason a prompt retry can fix. */
  readonly healthy: boolean;
}

const IDLE = Symbol('idle');

/** Pulls until the stream ends, fails, goes quiet, or delivers an entry that must not be applied. */
export async function runPullSession(ctx: SessionContext, stop: AbortSignal): Promise<SessionOutcome> {
  const { peer, stats } = ctx;
  const scope = linkedAbort(stop);
  const activity = { seen: false };
  const watchdog = watchIdle(ctx, scope, activity);
  let batches = 0;
  let reason: DisconnectReason | undefined;
  const snapshot = newSnapshotState();
  /** Batch numbers received out of order, and the highest n such that 1..n all arrived. */
  const received = new Set<number>();
  let contiguous = 0;
  try {
    const request = { region: ctx.region, applied: await ctx.store.appliedSeqs() };
    for await (const batch of ctx.transport.pull(peer, request, scope.signal)) {
      activity.seen = true;
      batches++;
      stats.batches++;
      stats.senderHead = batch.senderHead;
      // First, so that a rebuilt region has adopted its remembered clock before 'connected' is heard.
      if (batch.progress !== undefined) ctx.progress?.learn(batch.progress);
      if (batches === 1) {
        stats.connected = true;
        stats.connects++;
        ctx.emit({
          type: 'connected',
          peer,
          senderHead: batch.senderHead,
          senderApplied: batch.applied ?? {},
        });
      }
      if (batch.snapshot !== undefined) reason = await applySnapshotPart(ctx, batch.snapshot, snapshot);
      else if (batch.entries.length === 0) stats.heartbeats++;
      if (reason === undefined && !scope.signal.aborted) reason = await applyEntries(ctx, batch.entries);
      if (reason === undefined && batch.n !== undefined) {
        if (batch.n > contiguous) received.add(batch.n);
        while (received.delete(contiguous + 1)) contiguous++;
        // Every batch up to this one arrived and applied: its closed timestamps hold here.
        if (batch.closed !== undefined && batch.n <= contiguous) ctx.onClosed?.(batch.closed);
      }
      // Abort before leaving the loop: the transport must stop whatever it has in flight.
      if (reason !== undefined || scope.signal.aborted) {
        scope.abort();
        break;
      }
    }
  } catch (err) {
    reason ??= { kind: 'failed', message: err instanceof Error ? err.message : String(err) };
  } finally {
    scope.abort();
    scope.release();
    await watchdog;
    stats.connected = false;
  }
  if (stop.aborted) reason = { kind: 'stopped' };
  else if (scope.signal.reason === IDLE && (reason === undefined || reason.kind === 'failed')) {
    reason = { kind: 'idle', idleMs: ctx.idleTimeoutMs };
  }
  reason ??= { kind: 'ended' };
  const healthy = batches > 0 && ['ended', 'failed', 'idle'].includes(reason.kind);
  return { reason, healthy };
}

/** Aborts the scope (reason IDLE) when a whole idle period passes without a batch. */
async function watchIdle(
  ctx: SessionContext,
  scope: LinkedAbort,
  activity: { seen: boolean },
): Promise<void> {
  while (!scope.signal.aborted) {
    await ctx.clock.sleep(ctx.idleTimeoutMs, scope.signal);
    if (scope.signal.aborted) return;
    if (!activity.seen) {
      scope.abort(IDLE);
      return;
    }
    activity.seen = false;
  }
}
