// A database made by an earlier build opens with this one: the migrations it lacks run, and what it held
// reads back as before (no epoch; originSeq as the second migration backfilled it, 0 when unknown; log
// entries written before bases have none).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { C, change, LOCAL, mustWrite, put, recordOf, v } from './conformance-support.ts';
import { createSqliteStore, MIGRATIONS } from './sqlite-store.ts';

/** Schema version 2, the last before epochs, holding what the first schema's build wrote. */
function createVersion2(path: string): void {
  const db = new Database(path);
  try {
    db.exec(MIGRATIONS[0]!);
    const doc = db.prepare(
      'INSERT INTO docs (collection, key, value, version, origin) VALUES (?, ?, ?, ?, ?)',
    );
    doc.run(C, 'k', '{"n":1}', v(1), LOCAL);
    // A document whose change the log no longer has: the backfill leaves its seq unknown (0).
    doc.run(C, 'orphan', null, v(2, 'eu-west-1'), 'eu-west-1');
    db.prepare(
      'INSERT INTO log (collection, key, value, version, origin, origin_seq) VALUES (?, ?, ?, ?, ?, 1)',
    ).run(C, 'k', '{"n":1}', v(1), LOCAL);
    db.prepare('INSERT INTO applied (origin, seq) VALUES (?, 1)').run(LOCAL);
    db.exec(MIGRATIONS[1]!);
    db.pragma('user_version = 2');
  } finally {
    db.close();
  }
}

test('a schema-2 database opens, migrates, reads back without epochs and keeps working', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-migrate-'));
  try {
    const path = join(dir, 'old.db');
    createVersion2(path);
    const store = createSqliteStore({ path });
    const k = recordOf(put('k', { n: 1 }, 1), 1);
    assert.deepEqual(await store.get(C, 'k'), k);
    assert.deepEqual(await store.get(C, 'orphan'), recordOf(put('orphan', null, 2, 'eu-west-1'), 0));
    assert.deepEqual(await store.getJson!(C, 'k'), {
      version: v(1),
      origin: LOCAL,
      originSeq: 1,
      json: '{"n":1}',
    });
    assert.deepEqual(await store.list(C, { limit: 10 }), [k]);
    assert.deepEqual(await store.readLog(0, 10), [{ ...k, position: 1 }]);
    const snap = await store.openSnapshot();
    assert.deepEqual(
      (await snap.read(undefined, 10)).map((r) => 'epoch' in r),
      [false, false],
    );
    await snap.close();
    // New writes carry epochs, and the sequence goes on from the old log.
    const entry = await mustWrite(store, { ...put('k', { n: 2 }, 3), epoch: 1 });
    assert.deepEqual(entry, { ...recordOf(put('k', { n: 2 }, 3), 2), epoch: 1, base: v(1), position: 2 });
    await store.close();

    const check = new Database(path, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), MIGRATIONS.length);
    check.close();
    const reopened = createSqliteStore({ path });
    assert.deepEqual(await reopened.get(C, 'k'), { ...recordOf(put('k', { n: 2 }, 3), 2), epoch: 1 });
    await reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Schema version 3, the last before bases and the conflict ledger, with two local writes to one key. */
function createVersion3(path: string): void {
  const db = new Database(path);
  try {
    for (const migration of MIGRATIONS.slice(0, 3)) db.exec(migration);
    const row = { collection: C, key: 'k', origin: LOCAL, epoch: 2 };
    const log = db.prepare(
      `INSERT INTO log (collection, key, value, version, origin, origin_seq, epoch)
       VALUES (@collection, @key, @value, @version, @origin, @seq, @epoch)`,
    );
    log.run({ ...row, value: '{"n":1}', version: v(1), seq: 1 });
    log.run({ ...row, value: '{"n":2}', version: v(2), seq: 2 });
    db.prepare(
      `INSERT INTO docs (collection, key, value, version, origin, origin_seq, epoch)
       VALUES (@collection, @key, '{"n":2}', @version, @origin, 2, @epoch)`,
    ).run({ ...row, version: v(2) });
    db.prepare('INSERT INTO applied (origin, seq) VALUES (?, 2)').run(LOCAL);
    db.pragma('user_version = 3');
  } finally {
    db.close();
  }
}

test('a schema-3 database gains bases and the conflict ledger: old entries have no base, new ones do', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-migrate-'));
  try {
    const path = join(dir, 'old.db');
    createVersion3(path);
    const store = createSqliteStore({ path });
    const old = [1, 2].map((n) => ({ ...recordOf(put('k', { n }, n), n), epoch: 2, position: n }));
    assert.deepEqual(await store.readLog(0, 10), old);
    assert.deepEqual(await store.readConflicts({ limit: 10 }), []);
    assert.deepEqual(await store.stats(), { documents: 1, tombstones: 0, logEntries: 2, conflicts: 0 });
    const entry = await mustWrite(store, put('k', { n: 3 }, 3));
    assert.equal(entry.base, v(2));
    const concurrent = { ...change('eu-west-1', 1, 'k', { n: 0 }, 1), base: v(0, 'eu-west-1') };
    assert.equal(await store.applyRemote(concurrent), 'superseded');
    await store.close();

    const reopened = createSqliteStore({ path });
    assert.deepEqual(
      (await reopened.readLog(2, 10)).map((e) => e.base),
      [v(2), concurrent.base],
    );
    assert.deepEqual(
      (await reopened.readConflicts({ limit: 10 })).map((c) => [c.id, c.winner, c.versions.length]),
      [[1, v(3), 2]],
    );
    await reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
