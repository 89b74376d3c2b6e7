// Applies the entries of a received batch: merge each timestamp into the region clock (refusing one too
// far ahead), then apply the accepted run exactly once, in order, in one store transaction where the
// store can; classify every result for the pull session.

import type { Clock } from '../core/clock.ts';
import { changeLagMs } from '../core/replication-lag.ts';
import { applyRemoteAll } from '../store/apply-batch.ts';
import type { ApplyResult, LogEntry, Store } from '../store/store.ts';
import type { MutablePeerStats } from './peer-stats.ts';
import type { ClockReceipt, RegionClock } from './region-clock.ts';
import type { DisconnectReason, ReplicatorEvent } from './replicator-events.ts';

export interface ApplyContext {
  readonly peer: string;
  readonly store: Store;
  readonly regionClock: RegionClock;
  readonly clock: Clock;
  readonly stats: MutablePeerStats;
  readonly emit: (event: ReplicatorEvent) => void;
}

/** undefined: every entry was taken; a reason: drop the stream (that entry and the rest were not applied). */
export async function applyEntries(
  ctx: ApplyContext,
  entries: readonly LogEntry[],
): Promise<DisconnectReason | undefined> {
  let i = 0;
  while (i < entries.length) {
    // The run of entries whose clocks merge; it stops at the first one refused.
    const run: LogEntry[] = [];
    let refused: { entry: LogEntry; receipt: Exclude<ClockReceipt, { ok: true }> } | undefined;
    for (; i < entries.length; i++) {
      const entry = entries[i]!;
      const receipt = ctx.regionClock.receive(entry.version);
      if (!receipt.ok) {
        refused = { entry, receipt };
        break;
      }
      run.push(entry);
    }
    // No await between the receipts and this call: the clock has passed every version before the store has it.
    const results = await applyRemoteAll(ctx.store, run.map(toChange));
    for (const [k, result] of results.entries()) {
      const reason = record(ctx, run[k]!, result);
      if (reason !== undefined) return reason;
    }
    if (refused === undefined) return undefined;
    const reason = await refuse(ctx, refused.entry, refused.receipt);
    if (reason !== undefined) return reason;
    i++;
  }
  return undefined;
}

function record(ctx: ApplyContext, entry: LogEntry, result: ApplyResult): DisconnectReason | undefined {
  const { stats } = ctx;
  stats.lastPosition = entry.position;
  if (result === 'gap') {
    stats.gaps++;
    return { kind: 'gap', origin: entry.origin, originSeq: entry.originSeq };
  }
  stats[result]++;
  let lagMs: number | undefined;
  if (result !== 'duplicate') {
    lagMs = changeLagMs(entry.version, ctx.clock.now());
    if (lagMs !== undefined) stats.lagMs[entry.origin] = lagMs;
  }
  ctx.emit({ type: 'applied', peer: ctx.peer, entry, result, lagMs });
  return undefined;
}

/** An entry whose timestamp the clock refused: skip it if we have it already, else drop the stream. */
async function refuse(
  ctx: ApplyContext,
  entry: LogEntry,
  receipt: Exclude<ClockReceipt, { ok: true }>,
): Promise<DisconnectReason | undefined> {
  const { stats } = ctx;
  stats.lastPosition = entry.position;
  if (receipt.reason === 'malformed') {
    return { kind: 'bad-version', origin: entry.origin, originSeq: entry.originSeq, version: entry.version };
  }
  // A copy of a change applied earlier needs no merge (the clock passed it then, and a restarted clock
  // resumes past it): after our physical clock stepped back, it must not stall the stream.
  if (((await ctx.store.appliedSeqs())[entry.origin] ?? 0) >= entry.originSeq) {
    stats.duplicate++;
    ctx.emit({ type: 'applied', peer: ctx.peer, entry, result: 'duplicate' });
    return undefined;
  }
  stats.refused++;
  const { origin, originSeq, collection, key, version } = entry;
  ctx.emit({
    type: 'refused',
    peer: ctx.peer,
    origin,
    originSeq,
    collection,
    key,
    version,
    offsetMs: receipt.offsetMs,
  });
  return { kind: 'clock-ahead', origin, originSeq, key, offsetMs: receipt.offsetMs };
}

function toChange(entry: LogEntry) {
  const { collection, key, value, version, origin, originSeq, epoch, base } = entry;
  return {
    collection,
    key,
    value,
    version,
    origin,
    originSeq,
    ...(epoch === undefined ? {} : { epoch }),
    ...(base === undefined ? {} : { base }),
  };
}
