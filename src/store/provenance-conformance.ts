// The Store conformance cases for what a read says about the change behind it: the originSeq of the
// change that wrote each version (session tokens) and the writer's epoch (fencing), through local and
// remote writes, batches, the log, snapshots and reopen.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { applyRemoteAll } from './apply-batch.ts';
import {
  ABSENT,
  C,
  change,
  LOCAL,
  mustWrite,
  NONE,
  put,
  recordOf,
  REMOTE,
  snapshot,
  v,
  type ConformanceSuite,
} from './conformance-support.ts';
import type { DocRecord, Store } from './store.ts';

const X = 'ap-south-1';

/** Every way a store hands a record back, for checking that none of them carries `epoch`. */
async function everyRead(store: Store): Promise<DocRecord[]> {
  const docs = await Promise.all(['a', 'b', 'c'].map((key) => store.get(C, key)));
  const snap = await store.openSnapshot();
  try {
    return [
      ...docs.filter((d) => d !== undefined),
      ...(await store.list(C, { limit: 100 })),
      ...(await store.readLog(0, 100)),
      ...(await snap.read(undefined, 100)),
    ];
  } finally {
    await snap.close();
  }
}

export function provenanceConformance({ group, test, withFixture }: ConformanceSuite): void {
  group('epoch', () => {
    test('a local write keeps its epoch: entry, log, get and list', async (store) => {
      const entry = await mustWrite(store, { ...put('k', { n: 1 }, 1), epoch: 3 });
      const expected = { ...recordOf(put('k', { n: 1 }, 1), 1), epoch: 3 };
      assert.deepEqual(entry, { ...expected, position: 1 });
      assert.deepEqual(await store.readLog(0, 10), [entry]);
      assert.deepEqual(await store.get(C, 'k'), expected);
      assert.deepEqual(await store.list(C, { limit: 10 }), [expected]);
      assert.deepEqual(await store.writeLocal(put('k', { n: 2 }, 2), ABSENT), {
        ok: false,
        current: expected,
      });
    });

    test('an absent epoch is not stored and reads back absent, not 0', async (store) => {
      await mustWrite(store, put('a', { n: 1 }, 1));
      await mustWrite(store, { ...put('b', { n: 1 }, 2), epoch: undefined });
      assert.equal(await store.applyRemote(change(REMOTE, 1, 'c', null, 3)), 'applied');
      const reads = await everyRead(store);
      assert.equal(reads.length, 3 + 2 + 3 + 3);
      for (const read of reads) assert.ok(!('epoch' in read), JSON.stringify(read));
    });

    test('each version has the epoch of its own write, or none', async (store) => {
      await mustWrite(store, { ...put('k', { n: 1 }, 1), epoch: 2 });
      await mustWrite(store, put('k', { n: 2 }, 2));
      assert.deepEqual(await store.get(C, 'k'), recordOf(put('k', { n: 2 }, 2), 2));
      const newer = { ...change(REMOTE, 1, 'k', null, 3), epoch: 7 };
      assert.equal(await store.applyRemote(newer), 'applied');
      assert.deepEqual(await store.get(C, 'k'), newer);
    });

    void it('writeLocalBatch keeps each write’s epoch', (t) =>
      withFixture(async ({ store }) => {
        if (store.writeLocalBatch === undefined) return t.skip('this adapter has no writeLocalBatch');
        let clock = 0;
        const write = (key: string, epoch?: number) => ({
          write: {
            collection: C,
            key,
            value: { key },
            origin: LOCAL,
            ...(epoch === undefined ? {} : { epoch }),
          },
          precondition: NONE,
        });
        const results = await store.writeLocalBatch([write('a', 5), write('b'), write('a', 6)], () =>
          v(++clock),
        );
        const a1 = { ...recordOf(put('a', { key: 'a' }, 1), 1), epoch: 5 };
        const b = recordOf(put('b', { key: 'b' }, 2), 2);
        const a2 = { ...recordOf(put('a', { key: 'a' }, 3), 3), epoch: 6 };
        const entries = [a1, b, { ...a2, base: v(1) }].map((record, i) => ({ ...record, position: i + 1 }));
        assert.deepEqual(
          results,
          entries.map((entry) => ({ ok: true, entry })),
        );
        assert.deepEqual(await store.readLog(0, 10), entries);
        assert.deepEqual(await store.list(C, { limit: 10 }), [a2, b]);
      }));

    test('a remote change keeps its epoch in the document and in the log it is relayed from', async (store) => {
      const applied = { ...change(REMOTE, 1, 'k', { n: 1 }, 5), epoch: 2 };
      assert.equal(await store.applyRemote(applied), 'applied');
      assert.deepEqual(await store.get(C, 'k'), applied);
      // Superseded: logged with its own epoch (it is still relayed); the document keeps the newer one's.
      const older = { ...change(X, 1, 'k', { n: 0 }, 1), epoch: 9 };
      assert.equal(await store.applyRemote(older), 'superseded');
      assert.deepEqual(await store.get(C, 'k'), applied);
      assert.deepEqual(await store.readLog(0, 10), [
        { ...applied, position: 1 },
        { ...older, position: 2 },
      ]);
    });

    test('a batch of remote changes keeps each change’s epoch', async (store) => {
      const changes = [
        { ...change(REMOTE, 1, 'a', { n: 1 }, 1), epoch: 1 },
        change(REMOTE, 2, 'b', { n: 1 }, 2),
        { ...change(REMOTE, 3, 'a', null, 3), epoch: 2 },
      ];
      assert.deepEqual(await applyRemoteAll(store, changes), ['applied', 'applied', 'applied']);
      assert.deepEqual(await store.get(C, 'a'), changes[2]);
      assert.deepEqual(await store.get(C, 'b'), changes[1]);
      assert.deepEqual(
        await store.readLog(0, 10),
        changes.map((c, i) => ({ ...c, position: i + 1 })),
      );
    });

    test('a snapshot carries each record’s epoch and originSeq, and installing it keeps them', async (store) => {
      await withFixture(async ({ store: source }) => {
        await mustWrite(source, { ...put('a', { n: 1 }, 1), epoch: 3 });
        await source.applyRemote({ ...change(REMOTE, 1, 'b', null, 2), epoch: 4 });
        await mustWrite(source, put('c', { n: 1 }, 3));
        const snap = await source.openSnapshot();
        const records = await snap.read(undefined, 10);
        assert.deepEqual(records, [
          { ...recordOf(put('a', { n: 1 }, 1), 1), epoch: 3 },
          { ...change(REMOTE, 1, 'b', null, 2), epoch: 4 },
          recordOf(put('c', { n: 1 }, 3), 2),
        ]);
        const { applied, versionFloor } = snap;
        await snap.close();
        await store.installSnapshotPage({ applied, versionFloor, after: undefined, records, last: true });
        for (const record of records) assert.deepEqual(await store.get(C, record.key), record);
      });
    });

    void it('keeps epochs across reopen', (t) =>
      withFixture(async ({ store, reopen }) => {
        if (reopen === undefined) return t.skip('this adapter keeps nothing across close');
        await mustWrite(store, { ...put('a', { n: 1 }, 1), epoch: 2 });
        await mustWrite(store, put('b', { n: 1 }, 2));
        await store.applyRemote({ ...change(REMOTE, 1, 'c', { n: 1 }, 3), epoch: 8 });
        const before = await snapshot(store);
        await store.close();
        const reopened = await reopen();
        assert.deepEqual(await snapshot(reopened), before);
        assert.deepEqual(await reopened.get(C, 'a'), { ...recordOf(put('a', { n: 1 }, 1), 1), epoch: 2 });
      }));
  });

  group('originSeq on reads', () => {
    test('get, getJson and list return the originSeq of the change that wrote the version', async (store) => {
      await mustWrite(store, put('a', { n: 1 }, 1)); // L1
      await mustWrite(store, put('b', { n: 1 }, 2)); // L2
      assert.equal(await store.applyRemote(change(REMOTE, 1, 'a', { n: 2 }, 3)), 'applied');
      await mustWrite(store, put('b', { n: 2 }, 4)); // L3
      assert.equal(await store.applyRemote(change(REMOTE, 2, 'b', { n: 0 }, 0)), 'superseded');
      await mustWrite(store, put('c', null, 5)); // L4, a tombstone
      const expected: Record<string, [string, number]> = { a: [REMOTE, 1], b: [LOCAL, 3], c: [LOCAL, 4] };
      for (const [key, [origin, originSeq]] of Object.entries(expected)) {
        const doc = await store.get(C, key);
        assert.deepEqual([doc?.origin, doc?.originSeq], [origin, originSeq], `get ${key}`);
        if (store.getJson === undefined) continue;
        const raw = await store.getJson(C, key);
        assert.deepEqual([raw?.origin, raw?.originSeq], [origin, originSeq], `getJson ${key}`);
      }
      assert.deepEqual(
        (await store.list(C, { limit: 10 })).map((d) => [d.key, d.origin, d.originSeq]),
        [
          ['a', REMOTE, 1],
          ['b', LOCAL, 3],
        ],
      );
    });

    test('matches the log entry of the change that wrote the version', async (store) => {
      for (let i = 1; i <= 6; i++) {
        if (i % 2 === 0) await store.applyRemote(change(REMOTE, i / 2, `k${i % 3}`, { i }, i));
        else await mustWrite(store, put(`k${i % 3}`, { i }, i));
      }
      const log = await store.readLog(0, 100);
      for (const doc of await store.list(C, { limit: 10 })) {
        const entry = log.find((e) => e.key === doc.key && e.version === doc.version);
        assert.deepEqual([doc.origin, doc.originSeq], [entry?.origin, entry?.originSeq], doc.key);
      }
    });
  });
}
