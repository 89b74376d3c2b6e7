// Group commit for local writes: every write requested in one turn of the event loop goes to the store
// in one transaction (Store.writeLocalBatch), so 50 concurrent writes cost one commit, not 50. Each
// write's version is ticked inside that transaction, after everything the store already holds — the
// same guarantee as ticking right before a lone writeLocal.

import type { BatchedWrite, LocalWrite, Precondition, Store, WriteResult } from './store.ts';

export interface WriteBatcher {
  write(write: Omit<LocalWrite, 'version'>, precondition: Precondition): Promise<WriteResult>;
}

interface Pending extends BatchedWrite {
  readonly resolve: (result: WriteResult) => void;
  readonly reject: (err: unknown) => void;
}

export function createWriteBatcher(store: Store, nextVersion: () => string): WriteBatcher {
  let queue: Pending[] = [];

  async function flush(): Promise<void> {
    const batch = queue;
    queue = [];
    try {
      if (store.writeLocalBatch) {
        const results = await store.writeLocalBatch(batch, nextVersion);
        batch.forEach((p, i) => p.resolve(results[i]!));
        return;
      }
      for (const p of batch) {
        // Tick and write in one synchronous step (see RegionClock.tick).
        p.resolve(await store.writeLocal({ ...p.write, version: nextVersion() }, p.precondition));
      }
    } catch (err) {
      // The transaction rolled back (disk full, store closed): none of the batch was written.
      for (const p of batch) p.reject(err);
    }
  }

  return {
    write(write, precondition) {
      return new Promise((resolve, reject) => {
        if (queue.length === 0) setImmediate(() => void flush());
        queue.push({ write, precondition, resolve, reject });
      });
    },
  };
}
