// A full store (disk, or store.maxBytes) refuses the write with a 507 that says so, writes nothing,
// and keeps every write it acknowledged before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeridianError } from '../core/errors.ts';
import { C, NONE, put } from './conformance-support.ts';
import { createSqliteStore } from './sqlite-store.ts';

test('writes past store.maxBytes get a 507 naming the store; acknowledged writes stay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-full-'));
  try {
    const store = createSqliteStore({ path: join(dir, 'x.db'), maxBytes: 256 * 1024 });
    const body = { pad: 'x'.repeat(2000) };
    let acked = 0;
    let refusal: unknown;
    for (let i = 0; i < 1000 && refusal === undefined; i++) {
      try {
        const result = await store.writeLocal(put(`k${i}`, body, i + 1), NONE);
        assert.ok(result.ok);
        acked++;
      } catch (err) {
        refusal = err;
      }
    }
    assert.ok(acked > 10, `only ${acked} writes fit`);
    assert.ok(refusal instanceof MeridianError, String(refusal));
    assert.equal(refusal.status, 507);
    assert.match(refusal.message, /is full .* nothing was written/);
    assert.equal((await store.stats()).documents, acked);
    for (let i = 0; i < acked; i++) assert.ok(await store.get(C, `k${i}`), `k${i} lost`);
    assert.equal(await store.get(C, `k${acked}`), undefined);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
