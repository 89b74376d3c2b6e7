// Audits tombstone purges in the simulator. Purging a tombstone is safe only if no change older than it
// (on its key) can still arrive: the wrapper records each purged tombstone with what the region had
// applied, and checkPurges later compares that with every acknowledged write.

import type { Change, Store } from '../store/store.ts';
import type { AckedWrite } from './sim-invariants.ts';

export interface Purge {
  readonly region: string;
  /** The tombstone, as the change that wrote it. */
  readonly tombstone: Change;
  /** The region's applied vector just after the purge. */
  readonly applied: Readonly<Record<string, number>>;
}

/** `store`, reporting every tombstone that purgeTombstones removed. */
export function auditPurges(region: string, store: Store, report: (purge: Purge) => void): Store {
  return {
    ...store,
    async purgeTombstones(stable, options) {
      const before = await tombstones(store);
      const purged = await store.purgeTombstones(stable, options);
      if (purged === 0) return purged;
      const applied = await store.appliedSeqs();
      for (const tombstone of before) {
        // Gone entirely (a tombstone replaced by a newer write in the meantime was not purged).
        if ((await store.get(tombstone.collection, tombstone.key)) === undefined) {
          report({ region, tombstone, applied });
        }
      }
      return purged;
    },
  };
}

async function tombstones(store: Store): Promise<Change[]> {
  const snapshot = await store.openSnapshot();
  try {
    return (await snapshot.read(undefined, Infinity)).filter((r) => r.value === null);
  } finally {
    await snapshot.close();
  }
}

/**
 * (6) every purge was safe: each acknowledged write older than a purged tombstone, on its key, had been
 * applied by the purging region. Otherwise it could still arrive there, find no record, and bring the
 * document back in that region only.
 */
export function checkPurges(purges: readonly Purge[], acked: readonly AckedWrite[]): string[] {
  const violations: string[] = [];
  for (const { region, tombstone, applied } of purges) {
    for (const w of acked) {
      if (w.collection !== tombstone.collection || w.key !== tombstone.key) continue;
      if (!(w.version < tombstone.version) || w.originSeq <= (applied[w.origin] ?? 0)) continue;
      violations.push(
        `purge: ${region} purged key '${w.key}' (tombstone ${tombstone.version}) before the older ${w.version} (${w.origin}#${w.originSeq}) reached it`,
      );
    }
  }
  return violations;
}
