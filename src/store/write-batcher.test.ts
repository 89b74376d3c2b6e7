import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatVersion } from '../core/version.ts';
import { createMemoryStore } from './memory-store.ts';
import { createSqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';
import { createWriteBatcher } from './write-batcher.ts';

function ticker() {
  let wall = 1000;
  return () => formatVersion({ wall: ++wall, counter: 0 }, 'us-east-1');
}

async function concurrentWrites(store: Store) {
  const batcher = createWriteBatcher(store, ticker());
  const w = (key: string, kind: 'none' | 'absent') =>
    batcher.write({ collection: 'c', key, value: { key }, origin: 'us-east-1' }, { kind });
  // Issued in one turn: one transaction where the store has writeLocalBatch.
  const results = await Promise.all([w('a', 'none'), w('b', 'none'), w('a', 'absent'), w('c', 'absent')]);
  assert.deepEqual(
    results.map((r) => r.ok),
    [true, true, false, true],
    'the failed precondition fails only its own write',
  );
  const versions = results.flatMap((r) => (r.ok ? [r.entry.version] : []));
  assert.deepEqual(versions, [...versions].sort(), 'versions in request order');
  assert.equal(new Set(versions).size, versions.length);
  assert.deepEqual(await store.appliedSeqs(), { 'us-east-1': 3 });
}

test('concurrent writes in one turn: request order, own failures, distinct versions (SQLite and memory)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-batcher-'));
  try {
    for (const store of [createSqliteStore({ path: join(dir, 'x.db') }), createMemoryStore()]) {
      await concurrentWrites(store);
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a store failure rejects every write of the batch and writes none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-batcher-'));
  try {
    const store = createSqliteStore({ path: join(dir, 'x.db') });
    await store.close();
    const batcher = createWriteBatcher(store, ticker());
    const results = await Promise.allSettled([
      batcher.write({ collection: 'c', key: 'a', value: {}, origin: 'us-east-1' }, { kind: 'none' }),
      batcher.write({ collection: 'c', key: 'b', value: {}, origin: 'us-east-1' }, { kind: 'none' }),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
