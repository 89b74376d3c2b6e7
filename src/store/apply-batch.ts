// Applies a batch of remote changes through Store.applyRemoteBatch where the adapter has it (one
// transaction), else one applyRemote at a time: the same results either way.

import type { ApplyResult, Change, Store } from './store.ts';

export async function applyRemoteAll(store: Store, changes: readonly Change[]): Promise<ApplyResult[]> {
  if (changes.length === 0) return [];
  if (store.applyRemoteBatch) return store.applyRemoteBatch(changes);
  const results: ApplyResult[] = [];
  for (const change of changes) {
    const result = await store.applyRemote(change);
    results.push(result);
    if (result === 'gap') break;
  }
  return results;
}
