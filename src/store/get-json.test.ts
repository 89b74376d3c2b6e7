// getJson returns what get returns, with the value as the stored JSON text: on every adapter.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { C, NONE, put } from './conformance-support.ts';
import { createMemoryStore } from './memory-store.ts';
import { createSqliteStore } from './sqlite-store.ts';

test('getJson agrees with get for live documents, tombstones and absent keys (SQLite and memory)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-getjson-'));
  try {
    for (const store of [createSqliteStore({ path: join(dir, 'x.db') }), createMemoryStore()]) {
      await store.writeLocal(put('live', { name: 'Zoë', n: [1, 2.5, null], nested: { ok: true } }, 1), NONE);
      await store.writeLocal(put('gone', { x: 1 }, 2), NONE);
      await store.writeLocal(put('gone', null, 3), NONE);
      for (const key of ['live', 'gone', 'never']) {
        const doc = await store.get(C, key);
        const raw = await store.getJson!(C, key);
        if (doc === undefined) {
          assert.equal(raw, undefined);
          continue;
        }
        assert.equal(raw?.version, doc.version);
        assert.equal(raw?.origin, doc.origin);
        assert.equal(raw?.originSeq, doc.originSeq);
        assert.deepEqual(raw?.json === null ? null : JSON.parse(raw.json), doc.value);
      }
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
