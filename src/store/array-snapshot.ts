// A StoreSnapshot over records already copied out in (collection, key) order: the memory adapter's
// snapshots, and the SQLite adapter's for an in-memory database.

import type { Change, DocKey, StoreSnapshot } from './store.ts';
import { compareDocKeys, rowLimit, storeClosedError } from './store-semantics.ts';

/** A snapshot served from records already copied out in (collection, key) order. */
export function arraySnapshot(view: {
  readonly applied: Record<string, number>;
  readonly head: number;
  readonly versionFloor: string | undefined;
  readonly records: readonly Change[];
}): StoreSnapshot {
  let open = true;
  return {
    applied: view.applied,
    head: view.head,
    versionFloor: view.versionFloor,
    async read(after: DocKey | undefined, limit: number) {
      if (!open) throw storeClosedError('snapshot');
      let lo = 0;
      let hi = view.records.length;
      while (after !== undefined && lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compareDocKeys(view.records[mid]!, after) <= 0) lo = mid + 1;
        else hi = mid;
      }
      return view.records.slice(lo, lo + rowLimit(limit)).map((r) => ({ ...r }));
    },
    async close() {
      open = false;
    },
  };
}
