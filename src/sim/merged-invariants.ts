// What the collections with merging conflict policies must end with: every region holds the same record
// (version and bytes) for every key, and a CRDT counter counts every increment some region applied.

import { asCrdtState } from '../region/conflict-policies.ts';
import { materialize } from '../crdt/index.ts';
import { POLICY_COLLECTIONS, POLICY_KEYS } from './client-plan.ts';
import type { CheckedRegion } from './sim-invariants.ts';

export async function checkMerged(
  regions: readonly CheckedRegion[],
  increments: ReadonlyMap<string, number>,
): Promise<string[]> {
  const violations: string[] = [];
  for (const [policy, collection] of Object.entries(POLICY_COLLECTIONS)) {
    for (const key of POLICY_KEYS) {
      const held = await Promise.all(
        regions.map(async (r) => ({ region: r.name, doc: await r.store.get(collection, key) })),
      );
      const shown = held.map(({ doc }) =>
        doc === undefined ? 'nothing' : `${doc.version} ${JSON.stringify(doc.value)}`,
      );
      if (new Set(shown).size > 1) {
        violations.push(
          `convergence (${policy}): ${collection}/${key} differs between regions (${held.map(({ region, doc }) => `${region}: ${doc?.version ?? 'nothing'}`).join('; ')})`,
        );
        continue;
      }
      const doc = held[0]?.doc;
      if (policy === 'crdt' && doc !== undefined) {
        const count = (materialize(asCrdtState(doc)) as { count?: number } | null)?.count ?? 0;
        const expected = increments.get(`${collection}/${key}`) ?? 0;
        if (count !== expected) {
          violations.push(
            `lost increment: ${collection}/${key} counts ${count}, but regions applied ${expected} increments`,
          );
        }
      }
    }
  }
  return violations;
}
