// Runs the Store conformance suite against the SQLite adapter, and checks that acknowledged writes
// survive the writing process being killed with SIGKILL.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createSqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';
import { storeConformance } from './store-conformance.ts';

const WRITER = fileURLToPath(new URL('./testdata/sqlite-writer.ts', import.meta.url));
const tempDir = () => mkdtempSync(join(tmpdir(), 'meridian-store-'));

storeConformance('sqlite', async (options) => {
  const dir = tempDir();
  // A directory that does not exist yet: the adapter creates it.
  const path = join(dir, 'data', 'store.db');
  const opened: Store[] = [];
  const open = () => {
    const store = createSqliteStore({ path, ...options });
    opened.push(store);
    return store;
  };
  return {
    store: open(),
    reopen: async () => open(),
    cleanup: async () => {
      for (const store of opened) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

void it('sqlite: every acknowledged write survives kill -9 of the writer', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'store.db');
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    const acked: string[] = [];
    for await (const line of createInterface({ input: child.stdout })) {
      acked.push(line);
      if (acked.length === 200) child.kill('SIGKILL');
    }
    await exited;
    assert.equal(child.signalCode, 'SIGKILL', 'the writer should still have been writing when killed');
    assert.ok(acked.length >= 200);

    const store = createSqliteStore({ path });
    try {
      for (const key of acked) {
        const doc = await store.get('acked', key);
        assert.deepEqual(doc?.value, { i: Number(key.slice(1)) }, `acknowledged ${key} is missing`);
      }
      const { documents } = await store.stats();
      assert.ok(documents >= acked.length);
      assert.equal(await store.logHead(), documents);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
