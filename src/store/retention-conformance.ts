// The Store conformance cases for what replication needs to collect garbage and bootstrap regions: log
// truncation, tombstone purges, the version floor, and snapshots (reading one, installing one).

import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  ABSENT,
  C,
  change,
  ifVersion,
  keys,
  LOCAL,
  mustWrite,
  put,
  recordOf,
  REMOTE,
  snapshot,
  v,
  type ConformanceSuite,
} from './conformance-support.ts';
import type { Change, SnapshotPage, Store } from './store.ts';

const X = 'ap-south-1';

/** Log: 1 L1 a, 2 R1 b, 3 L2 a (delete), 4 R2 c, 5 L3 d, 6 R3 b (delete). */
async function mixed(store: Store): Promise<void> {
  await mustWrite(store, put('a', { n: 1 }, 1));
  await store.applyRemote(change(REMOTE, 1, 'b', { n: 1 }, 2));
  await mustWrite(store, put('a', null, 3));
  await store.applyRemote(change(REMOTE, 2, 'c', { n: 2 }, 4));
  await mustWrite(store, put('d', { n: 3 }, 5));
  // Deletes the b it wrote (its base), so mixed writes no concurrent changes.
  await store.applyRemote({ ...change(REMOTE, 3, 'b', null, 6), base: v(2, REMOTE) });
}

/** Every page of a store's snapshot, `limit` records at a time. */
async function readAll(store: Store, limit = 2) {
  const snap = await store.openSnapshot();
  try {
    const records: Change[] = [];
    for (;;) {
      const page = await snap.read(records.at(-1), limit);
      records.push(...page);
      if (page.length < limit) break;
    }
    return { applied: snap.applied, head: snap.head, versionFloor: snap.versionFloor, records };
  } finally {
    await snap.close();
  }
}

/** A store's snapshot as pages ready to install elsewhere. */
async function pagesOf(store: Store, limit = 2): Promise<SnapshotPage[]> {
  const { applied, versionFloor, records } = await readAll(store, limit);
  const pages: SnapshotPage[] = [];
  for (let i = 0; i < records.length; i += limit) {
    pages.push({
      applied,
      versionFloor,
      after: records[i - 1],
      records: records.slice(i, i + limit),
      last: false,
    });
  }
  pages.push({ applied, versionFloor, after: records.at(-1), records: [], last: true });
  return pages;
}

export function retentionConformance({ group, test, withFixture }: ConformanceSuite): void {
  group('log truncation', () => {
    test('removes the entries at or below the watermark of each origin, and nothing else', async (store) => {
      await mixed(store);
      const all = await store.readLog(0, 100);
      assert.equal(await store.truncateLog({ [LOCAL]: 2, [REMOTE]: 1 }), 3);
      const left = all.filter((e) => e.originSeq > (e.origin === LOCAL ? 2 : 1));
      assert.deepEqual(await store.readLog(0, 100), left);
      assert.deepEqual(await store.readLog(2, 1), [left[0]]);
      assert.deepEqual(await store.readLog(4, 100), left.slice(1));
      assert.equal(await store.logHead(), 6);
      assert.deepEqual(await store.truncatedSeqs(), { [LOCAL]: 2, [REMOTE]: 1 });
      assert.deepEqual(await store.appliedSeqs(), { [LOCAL]: 3, [REMOTE]: 3 });
      assert.equal((await store.stats()).logEntries, 3);
      // Documents are untouched; the same watermark again removes nothing.
      assert.deepEqual(await keys(store), ['c', 'd']);
      assert.equal(await store.truncateLog({ [LOCAL]: 2, [REMOTE]: 1 }), 0);
    });

    test('stops at the applied seq and reads malformed watermarks as 0', async (store) => {
      await mixed(store);
      assert.equal(await store.truncateLog({ [LOCAL]: 99, [REMOTE]: -1, [X]: 5 }), 3);
      assert.deepEqual(await store.truncatedSeqs(), { [LOCAL]: 3 });
      assert.equal(await store.truncateLog({ [REMOTE]: Number.NaN }), 0);
      assert.equal(await store.truncateLog({ [REMOTE]: 1.9 }), 1);
      assert.deepEqual(await store.truncatedSeqs(), { [LOCAL]: 3, [REMOTE]: 1 });
    });

    test('keeps sequencing: positions and seqs go on, truncated changes are duplicates', async (store) => {
      await mixed(store);
      await store.truncateLog({ [LOCAL]: 3, [REMOTE]: 3 });
      assert.deepEqual(await store.readLog(0, 100), []);
      assert.equal(await store.logHead(), 6);
      const next = await mustWrite(store, put('e', { n: 4 }, 7));
      assert.deepEqual([next.position, next.originSeq], [7, 4]);
      assert.equal(await store.applyRemote(change(REMOTE, 2, 'z', { n: 9 }, 9)), 'duplicate');
      assert.equal(await store.applyRemote(change(REMOTE, 5, 'z', { n: 9 }, 9)), 'gap');
      assert.equal(await store.applyRemote(change(REMOTE, 4, 'z', { n: 9 }, 9)), 'applied');
      assert.deepEqual(
        (await store.readLog(0, 100)).map((e) => [e.position, e.origin, e.originSeq]),
        [
          [7, LOCAL, 4],
          [8, REMOTE, 4],
        ],
      );
    });

    test('positionAfter looks only at entries still logged', async (store) => {
      await mixed(store);
      await store.truncateLog({ [LOCAL]: 2, [REMOTE]: 1 });
      // Left: 4 R2, 5 L3, 6 R3.
      assert.equal(await store.positionAfter({}), 3);
      assert.equal(await store.positionAfter({ [REMOTE]: 2 }), 4);
      assert.equal(await store.positionAfter({ [REMOTE]: 3, [LOCAL]: 3 }), 6);
      assert.equal(await store.positionAfter({ [REMOTE]: 2, [LOCAL]: 3 }), 5);
      const log = await store.readLog(0, 100);
      for (let l = 0; l <= 3; l++) {
        for (let r = 0; r <= 3; r++) {
          const applied: Record<string, number> = { [LOCAL]: l, [REMOTE]: r };
          const first = log.find((e) => e.originSeq > (applied[e.origin] ?? 0));
          const expected = first === undefined ? 6 : first.position - 1;
          assert.equal(await store.positionAfter(applied), expected, JSON.stringify(applied));
        }
      }
    });

    test('raises the version floor to the largest version it removed', async (store) => {
      assert.equal(await store.versionFloor(), undefined);
      await mixed(store);
      await store.truncateLog({ [REMOTE]: 2 });
      assert.equal(await store.versionFloor(), v(4, REMOTE));
      await store.truncateLog({ [LOCAL]: 1 });
      assert.equal(await store.versionFloor(), v(4, REMOTE));
    });
  });

  group('tombstone purge', () => {
    test('removes tombstones whose change is stable, and no live document', async (store) => {
      await mixed(store);
      await mustWrite(store, put('e', null, 7)); // L4, a tombstone of a key never written
      assert.equal(await store.purgeTombstones({ [LOCAL]: 3, [REMOTE]: 2 }), 1);
      assert.equal(await store.get(C, 'a'), undefined);
      assert.deepEqual(await store.get(C, 'b'), change(REMOTE, 3, 'b', null, 6));
      assert.deepEqual(await store.get(C, 'e'), recordOf(put('e', null, 7), 4));
      assert.deepEqual(await store.stats(), { documents: 2, tombstones: 2, logEntries: 7, conflicts: 0 });
      assert.equal(await store.versionFloor(), v(3));
      assert.equal(await store.purgeTombstones({ [LOCAL]: 99, [REMOTE]: 99, [X]: 99 }), 2);
      assert.deepEqual(await store.stats(), { documents: 2, tombstones: 0, logEntries: 7, conflicts: 0 });
      assert.deepEqual(await keys(store), ['c', 'd']);
      assert.equal(await store.versionFloor(), v(7));
    });

    test('honours versionBelow, and a purged key behaves as never written', async (store) => {
      await mixed(store);
      assert.equal(
        await store.purgeTombstones({ [LOCAL]: 9, [REMOTE]: 9 }, { versionBelow: v(6, REMOTE) }),
        1,
      );
      assert.deepEqual(await store.get(C, 'b'), change(REMOTE, 3, 'b', null, 6));
      assert.equal((await store.writeLocal(put('a', { n: 9 }, 9), ifVersion(v(3)))).ok, false);
      await mustWrite(store, put('a', { n: 9 }, 9), ABSENT);
      assert.deepEqual(await store.get(C, 'a'), recordOf(put('a', { n: 9 }, 9), 4));
    });

    test('judges a record by the change that wrote it, not by superseded ones', async (store) => {
      await store.applyRemote(change(REMOTE, 1, 'k', null, 5));
      assert.equal(await store.applyRemote(change(X, 1, 'k', { n: 1 }, 2)), 'superseded');
      assert.equal(await store.purgeTombstones({ [X]: 1 }), 0);
      await mustWrite(store, put('k', null, 6)); // L1 now wrote the tombstone
      assert.equal(await store.purgeTombstones({ [REMOTE]: 1 }), 0);
      assert.equal(await store.purgeTombstones({ [LOCAL]: 1 }), 1);
    });
  });

  group('snapshots', () => {
    test('read every record, tombstones included, in (collection, key) order with its change', async (store) => {
      await mixed(store);
      await mustWrite(store, { ...put('a', { n: 0 }, 8), collection: 'another' });
      const got = await readAll(store, 2);
      assert.deepEqual(got.applied, { [LOCAL]: 4, [REMOTE]: 3 });
      assert.equal(got.head, 7);
      assert.equal(got.versionFloor, undefined);
      assert.deepEqual(got.records, [
        { ...put('a', { n: 0 }, 8), collection: 'another', originSeq: 4 },
        { ...put('a', null, 3), originSeq: 2 },
        { ...put('b', null, 6, REMOTE), originSeq: 3 },
        { ...put('c', { n: 2 }, 4, REMOTE), originSeq: 2 },
        { ...put('d', { n: 3 }, 5), originSeq: 3 },
      ]);
      assert.deepEqual((await readAll(store, 100)).records, got.records);
      const snap = await store.openSnapshot();
      assert.deepEqual(await snap.read({ collection: C, key: 'b' }, 10), got.records.slice(3));
      assert.deepEqual(await snap.read({ collection: C, key: 'bb' }, 1), got.records.slice(3, 4));
      assert.deepEqual(await snap.read(undefined, 0), []);
      await snap.close();
      await snap.close();
    });

    test('stay as they were when opened while the store moves on', async (store) => {
      await mixed(store);
      const snap = await store.openSnapshot();
      try {
        const first = await snap.read(undefined, 1);
        await mustWrite(store, put('0', { n: 1 }, 10));
        await mustWrite(store, put('c', null, 11));
        await store.applyRemote(change(REMOTE, 4, 'zz', { n: 1 }, 12));
        await store.truncateLog({ [LOCAL]: 5, [REMOTE]: 4 });
        await store.purgeTombstones({ [LOCAL]: 5, [REMOTE]: 4 });
        assert.deepEqual(snap.applied, { [LOCAL]: 3, [REMOTE]: 3 });
        assert.equal(snap.head, 6);
        const rest = await snap.read(first.at(-1), 100);
        assert.deepEqual(
          [...first, ...rest].map((r) => [r.key, r.version]),
          [
            ['a', v(3)],
            ['b', v(6, REMOTE)],
            ['c', v(4, REMOTE)],
            ['d', v(5)],
          ],
        );
      } finally {
        await snap.close();
      }
    });

    test('installed into an empty store, reproduce the records and the applied vector', async (store) => {
      await withFixture(async ({ store: source }) => {
        await mixed(source);
        await source.truncateLog({ [REMOTE]: 1 });
        for (const page of await pagesOf(source)) await store.installSnapshotPage(page);
        assert.deepEqual((await readAll(store)).records, (await readAll(source)).records);
        assert.deepEqual(await store.appliedSeqs(), { [LOCAL]: 3, [REMOTE]: 3 });
        assert.deepEqual(await store.truncatedSeqs(), { [LOCAL]: 3, [REMOTE]: 3 });
        assert.deepEqual(await store.readLog(0, 100), []);
        assert.equal(await store.logHead(), 0);
        assert.equal(await store.versionFloor(), v(6, REMOTE));
        // It follows the log from there: covered changes are duplicates, the next ones apply.
        assert.equal(await store.applyRemote(change(REMOTE, 3, 'b', null, 6)), 'duplicate');
        assert.equal(await store.applyRemote(change(REMOTE, 4, 'b', { n: 4 }, 9)), 'applied');
        assert.deepEqual(
          (await store.readLog(0, 10)).map((e) => e.position),
          [1],
        );
      });
    });

    test('merge by last-write-wins and keep what the snapshot does not cover', async (store) => {
      await store.applyRemote(change(REMOTE, 1, 'a', { mine: 1 }, 9)); // newer than the snapshot's a
      await store.applyRemote(change(X, 1, 'x', { mine: 2 }, 1)); // an origin the snapshot lacks
      await mustWrite(store, put('b', { mine: 3 }, 1)); // older than the snapshot's b
      const records = [
        { ...change(LOCAL, 2, 'a', { theirs: 1 }, 5) },
        { ...change(LOCAL, 3, 'b', { theirs: 2 }, 6) },
      ];
      const applied = { [LOCAL]: 3 };
      await store.installSnapshotPage({
        applied,
        versionFloor: undefined,
        after: undefined,
        records,
        last: true,
      });
      assert.deepEqual(await store.get(C, 'a'), change(REMOTE, 1, 'a', { mine: 1 }, 9));
      assert.deepEqual(await store.get(C, 'b'), records[1]);
      assert.deepEqual(await store.get(C, 'x'), change(X, 1, 'x', { mine: 2 }, 1));
      assert.deepEqual(await store.appliedSeqs(), { [LOCAL]: 3, [REMOTE]: 1, [X]: 1 });
      // LOCAL moved forward: its entry left the log; the others stay.
      assert.deepEqual(
        (await store.readLog(0, 10)).map((e) => [e.origin, e.originSeq]),
        [
          [REMOTE, 1],
          [X, 1],
        ],
      );
      assert.deepEqual(await store.truncatedSeqs(), { [LOCAL]: 3 });
      assert.equal(await store.versionFloor(), v(6));
    });

    test('remove covered records the page lacks, only within its key range', async (store) => {
      await store.applyRemote(change(REMOTE, 1, 'a', { n: 1 }, 1));
      await store.applyRemote(change(REMOTE, 2, 'c', { n: 2 }, 2));
      await store.applyRemote(change(REMOTE, 3, 'e', { n: 3 }, 3));
      await store.applyRemote(change(REMOTE, 4, 'g', null, 4));
      const page = (after: string | undefined, records: Change[], last = false): SnapshotPage => ({
        applied: { [REMOTE]: 3 },
        versionFloor: v(20),
        after: after === undefined ? undefined : { collection: C, key: after },
        records,
        last,
      });
      // The peer holds b and d: it purged tombstones that superseded a and c (covered), but e comes later.
      await store.installSnapshotPage(page(undefined, [change(REMOTE, 9, 'b', { n: 9 }, 9)]));
      assert.deepEqual(await keys(store), ['b', 'c', 'e']);
      await store.installSnapshotPage(page('b', [change(REMOTE, 9, 'd', { n: 9 }, 9)]));
      assert.deepEqual(await keys(store), ['b', 'd', 'e']);
      assert.deepEqual(await store.appliedSeqs(), { [REMOTE]: 4 });
      // The last page reaches the end: e (covered) goes, g (seq 4, not covered) stays.
      await store.installSnapshotPage(page('d', [], true));
      assert.deepEqual(await keys(store), ['b', 'd']);
      assert.deepEqual(await store.get(C, 'g'), change(REMOTE, 4, 'g', null, 4));
      assert.deepEqual(await store.appliedSeqs(), { [REMOTE]: 4 });
      assert.deepEqual(await store.truncatedSeqs(), {});
      assert.equal(await store.versionFloor(), v(20));
    });

    test('installing a page again changes nothing; without the last page the vector stays', async (store) => {
      await withFixture(async ({ store: source }) => {
        await mixed(source);
        const pages = await pagesOf(source, 2);
        for (const page of pages.slice(0, -1)) await store.installSnapshotPage(page);
        assert.deepEqual(await store.appliedSeqs(), {});
        const once = await snapshot(store);
        await store.installSnapshotPage(pages[0]!);
        await store.installSnapshotPage(pages[1]!);
        assert.deepEqual(await snapshot(store), once);
        await store.installSnapshotPage(pages.at(-1)!);
        await store.installSnapshotPage(pages[0]!);
        await store.installSnapshotPage(pages.at(-1)!);
        assert.deepEqual((await readAll(store)).records, (await readAll(source)).records);
        assert.deepEqual(await store.appliedSeqs(), await source.appliedSeqs());
      });
    });
  });

  void it('keeps truncation, purges, the floor and installed snapshots across reopen', (t) =>
    withFixture(async ({ store, reopen }) => {
      if (reopen === undefined) return t.skip('this adapter keeps nothing across close');
      await mixed(store);
      await store.truncateLog({ [LOCAL]: 2 });
      await store.purgeTombstones({ [LOCAL]: 2 });
      await store.installSnapshotPage({
        applied: { [X]: 4 },
        versionFloor: v(30),
        after: undefined,
        records: [change(X, 4, 'x', { n: 1 }, 12)],
        last: false,
      });
      await store.installSnapshotPage({
        applied: { [X]: 4 },
        versionFloor: v(30),
        after: { collection: C, key: 'x' },
        records: [],
        last: true,
      });
      const before = await snapshot(store);
      const records = (await readAll(store)).records;
      await store.close();
      const reopened = await reopen();
      assert.deepEqual(await snapshot(reopened), before);
      assert.deepEqual((await readAll(reopened)).records, records);
      assert.deepEqual(await reopened.truncatedSeqs(), { [LOCAL]: 2, [X]: 4 });
      assert.equal(await reopened.versionFloor(), v(30));
      assert.equal((await mustWrite(reopened, put('n', { n: 1 }, 40))).position, 7);
    }));
}
