// Installs one received snapshot part: parts must come in order; the clock first passes every version
// the snapshot covers (refusing one too far ahead), then the store merges the page; the last part
// completes the snapshot and moves the applied vector.

import type { SnapshotPage } from '../store/store.ts';
import { pageVersionBound } from '../store/store-semantics.ts';
import type { ApplyContext } from './apply-entry.ts';
import type { SnapshotPart } from './replication-port.ts';
import type { DisconnectReason } from './replicator-events.ts';

/** Where a stream's snapshot stands: the next part expected and the records installed so far. */
export interface SnapshotState {
  expected: number;
  records: number;
}

export function newSnapshotState(): SnapshotState {
  return { expected: 0, records: 0 };
}

/** undefined: go on; a reason: drop the stream (the part was not installed). */
export async function applySnapshotPart(
  ctx: ApplyContext,
  part: SnapshotPart,
  state: SnapshotState,
): Promise<DisconnectReason | undefined> {
  // An earlier part again is a duplicated batch: already installed.
  if (part.part < state.expected) return undefined;
  if (part.part > state.expected) return { kind: 'snapshot-gap', part: part.part, expected: state.expected };
  const page: SnapshotPage = {
    applied: part.applied,
    versionFloor: part.versionFloor,
    after: part.after,
    records: part.records,
    last: part.last,
  };
  // Every change the snapshot covers is at or below this bound, including tombstones the peer purged:
  // our clock must pass it before our store holds the page, as for a single change (see applyEntries).
  const bound = pageVersionBound(page);
  if (bound !== undefined) {
    const receipt = ctx.regionClock.receive(bound);
    if (!receipt.ok) {
      if (receipt.reason === 'malformed') {
        return { kind: 'bad-version', origin: ctx.peer, originSeq: 0, version: bound };
      }
      ctx.stats.refused++;
      return { kind: 'snapshot-clock-ahead', offsetMs: receipt.offsetMs };
    }
  }
  await ctx.store.installSnapshotPage(page);
  state.expected++;
  state.records += part.records.length;
  if (part.last) {
    ctx.stats.snapshots++;
    ctx.emit({ type: 'snapshot', peer: ctx.peer, applied: part.applied, records: state.records });
  }
  return undefined;
}
