// Applies one received log entry: merge its timestamp into the region clock (refusing one too far
// ahead), then apply it exactly once; classify the result for the pull session.

import type { Clock } from '../core/clock.ts';
import { changeLagMs } from '../core/replication-lag.ts';
import type { LogEntry, Store } from '../store/store.ts';
import type { MutablePeerStats } from './peer-stats.ts';
import type { RegionClock } from './region-clock.ts';
import type { DisconnectReason, ReplicatorEvent } from './replicator-events.ts';

export interface ApplyContext {
  readonly peer: string;
  readonly store: Store;
  readonly regionClock: RegionClock;
  readonly clock: Clock;
  readonly stats: MutablePeerStats;
  readonly emit: (event: ReplicatorEvent) => void;
}

/** undefined: go on with the next entry; a reason: drop the stream (the entry was not applied). */
export async function applyEntry(ctx: ApplyContext, entry: LogEntry): Promise<DisconnectReason | undefined> {
  const { stats } = ctx;
  const receipt = ctx.regionClock.receive(entry.version);
  if (!receipt.ok) {
    if (receipt.reason === 'malformed') {
      return {
        kind: 'bad-version',
        origin: entry.origin,
        originSeq: entry.originSeq,
        version: entry.version,
      };
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
  // No await between receive and this call: the clock has passed the version before the store has it.
  const result = await ctx.store.applyRemote(toChange(entry));
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

function toChange(entry: LogEntry) {
  const { collection, key, value, version, origin, originSeq } = entry;
  return { collection, key, value, version, origin, originSeq };
}
