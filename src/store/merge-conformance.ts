// The Store conformance cases for concurrent writes: the base each change names, the merge policy that
// decides what a remote change does to the record it meets, and the conflict ledger it fills.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Json, JsonObject } from '../core/json.ts';
import { compareVersions } from '../core/version.ts';
import { applyRemoteAll } from './apply-batch.ts';
import {
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
import { conflictVersions, isConcurrent, lastWriteWins, type MergePolicy } from './merge-policy.ts';
import type { Change, ConflictEntry, DocRecord, Store } from './store.ts';

const X = 'ap-south-1';
const O = 'sa-east-1';

/** `c` with `base`. */
const withBase = (base: string, c: Change): Change => ({ ...c, base });

/** The record a change leaves: the change without its base. */
function recordFrom({ base: _base, ...record }: Change): DocRecord {
  return record;
}

/** Asserts that none of `records` has a `base` key (records never carry one; an absent base stays absent). */
function assertNoBase(records: readonly object[]): void {
  for (const record of records) assert.ok(!('base' in record), JSON.stringify(record));
}

function tagsOf(value: JsonObject | null): string[] {
  const tags: Json | undefined = value?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

/**
 * For a test value { tags: [...] }: concurrent writes keep the union of their tags (an add-wins set, as
 * a CRDT would) at the larger of their versions; a causal successor simply replaces the record.
 */
const unionTags: MergePolicy = (current, incoming) => {
  if (!isConcurrent(current, incoming)) return lastWriteWins(current, incoming);
  const version = compareVersions(incoming.version, current.version) > 0 ? incoming.version : current.version;
  const tags = [...new Set([...tagsOf(current.value), ...tagsOf(incoming.value)])].sort();
  return {
    result: { merged: { value: { tags }, version } },
    conflict: { rule: 'crdt', versions: conflictVersions([current, incoming]), winner: version },
  };
};

/** Applies `changes` one applyRemote at a time (a batch is tried through applyRemoteAll elsewhere). */
async function applyEach(store: Store, changes: readonly Change[]) {
  const results = [];
  for (const c of changes) results.push(await store.applyRemote(c));
  return results;
}

/** O writes k; then A (REMOTE, the larger version) and B (X) each overwrite it, neither seeing the other. */
function concurrentWrites(value: (tag: string) => JsonObject = (tag) => ({ n: tag })) {
  const o = change(O, 1, 'k', value('o'), 1);
  const a = withBase(o.version, change(REMOTE, 1, 'k', value('a'), 3));
  const b = withBase(o.version, change(X, 1, 'k', value('b'), 2));
  return { o, a, b };
}

export function mergeConformance({ group, test, withFixture }: ConformanceSuite): void {
  group('base', () => {
    test('a local write names the version it replaced, live or tombstone; a first write names none', async (store) => {
      const first = await mustWrite(store, put('k', { n: 1 }, 1));
      const deleted = await mustWrite(store, put('k', null, 2));
      const again = await mustWrite(store, put('k', { n: 3 }, 3));
      const other = await mustWrite(store, put('j', { n: 1 }, 4));
      assert.ok(!('base' in first) && !('base' in other));
      assert.equal(deleted.base, v(1));
      assert.equal(again.base, v(2));
      assert.equal(await store.applyRemote(change(REMOTE, 1, 'r', { n: 1 }, 5)), 'applied');
      const overRemote = await mustWrite(store, put('r', { n: 2 }, 6));
      assert.equal(overRemote.base, v(5, REMOTE));
      const log = await store.readLog(0, 10);
      assert.deepEqual(log, [
        first,
        deleted,
        again,
        other,
        { ...change(REMOTE, 1, 'r', { n: 1 }, 5), position: 5 },
        overRemote,
      ]);
      // Records never carry it.
      const snap = await store.openSnapshot();
      try {
        assertNoBase([
          (await store.get(C, 'k'))!,
          ...(await store.list(C, { limit: 10 })),
          ...(await snap.read(undefined, 10)),
        ]);
      } finally {
        await snap.close();
      }
    });

    void it('writeLocalBatch sets each write’s base, chaining writes to the same key', (t) =>
      withFixture(async ({ store }) => {
        if (store.writeLocalBatch === undefined) return t.skip('this adapter has no writeLocalBatch');
        await mustWrite(store, put('a', { n: 0 }, 1));
        let clock = 1;
        const write = (key: string) => ({
          write: { collection: C, key, value: { key }, origin: LOCAL },
          precondition: NONE,
        });
        const results = await store.writeLocalBatch([write('a'), write('b'), write('a')], () => v(++clock));
        const entries = [
          { ...recordOf(put('a', { key: 'a' }, 2), 2), base: v(1), position: 2 },
          { ...recordOf(put('b', { key: 'b' }, 3), 3), position: 3 },
          { ...recordOf(put('a', { key: 'a' }, 4), 4), base: v(2), position: 4 },
        ];
        assert.deepEqual(
          results,
          entries.map((entry) => ({ ok: true, entry })),
        );
        assert.deepEqual(await store.readLog(1, 10), entries);
      }));

    test('a remote change keeps its base in the log, applied or superseded, alone or in a batch', async (store) => {
      const changes = [
        change(REMOTE, 1, 'k', { n: 1 }, 2),
        withBase(v(2, REMOTE), change(REMOTE, 2, 'k', { n: 2 }, 3)),
        withBase(v(0, X), change(X, 1, 'k', { n: 0 }, 1)),
      ];
      assert.deepEqual(await applyEach(store, changes), ['applied', 'applied', 'superseded']);
      const batch = [
        withBase(v(3, REMOTE), change(REMOTE, 3, 'k', null, 4)),
        change(REMOTE, 4, 'j', { n: 1 }, 5),
      ];
      assert.deepEqual(await applyRemoteAll(store, batch), ['applied', 'applied']);
      const log = await store.readLog(0, 10);
      assert.deepEqual(
        log,
        [...changes, ...batch].map((c, i) => ({ ...c, position: i + 1 })),
      );
      assertNoBase([log[0]!, log[4]!]);
      assert.deepEqual(await store.get(C, 'k'), recordFrom(batch[0]!));
    });
  });

  group('conflicts (last-write-wins)', () => {
    test('concurrent writes applied in either order give the same winner and one ledger entry each', async (s1) => {
      await withFixture(async ({ store: s2 }) => {
        const { o, a, b } = concurrentWrites();
        assert.deepEqual(await applyEach(s1, [o, a, b]), ['applied', 'applied', 'superseded']);
        assert.deepEqual(await applyRemoteAll(s2, [o, b, a]), ['applied', 'applied', 'applied']);
        const expected: ConflictEntry[] = [
          {
            id: 1,
            collection: C,
            key: 'k',
            rule: 'lww',
            winner: a.version,
            versions: [b, a].map(({ version, origin, value }) => ({ version, origin, value })),
          },
        ];
        for (const store of [s1, s2]) {
          assert.deepEqual(await store.get(C, 'k'), recordFrom(a));
          assert.deepEqual(await store.readConflicts({ limit: 10 }), expected);
          assert.equal((await store.stats()).conflicts, 1);
        }
      });
    });

    test('a local write and a remote change made without seeing it conflict where they meet', async (store) => {
      await mustWrite(store, put('k', { n: 2 }, 2));
      assert.equal(await store.applyRemote(change(REMOTE, 1, 'k', { n: 1 }, 1)), 'superseded');
      // REMOTE goes on from its own version, still without having seen the local one.
      const next = withBase(v(1, REMOTE), change(REMOTE, 2, 'k', { n: 5 }, 5));
      assert.equal(await store.applyRemote(next), 'applied');
      const conflicts = await store.readConflicts({ limit: 10 });
      assert.deepEqual(
        conflicts.map((c) => [c.id, c.winner, c.versions.map((x) => [x.version, x.origin, x.value])]),
        [
          [
            1,
            v(2),
            [
              [v(1, REMOTE), REMOTE, { n: 1 }],
              [v(2), LOCAL, { n: 2 }],
            ],
          ],
          [
            2,
            v(5, REMOTE),
            [
              [v(2), LOCAL, { n: 2 }],
              [v(5, REMOTE), REMOTE, { n: 5 }],
            ],
          ],
        ],
      );
    });

    test('a causal successor, a first write, a duplicate, a gap and a change met again record nothing', async (store) => {
      const first = change(REMOTE, 1, 'k', { n: 1 }, 1);
      assert.equal(await store.applyRemote(first), 'applied');
      assert.equal(
        await store.applyRemote(withBase(first.version, change(X, 1, 'k', { n: 2 }, 2))),
        'applied',
      );
      await mustWrite(store, put('k', { n: 3 }, 3));
      assert.equal(await store.applyRemote(change(REMOTE, 1, 'k', { n: 9 }, 9)), 'duplicate');
      assert.equal(await store.applyRemote(change(REMOTE, 3, 'k', { n: 9 }, 9)), 'gap');
      // A snapshot page (not the last: the applied vector stays) installs X's next change before its
      // log entry arrives; meeting it again is no conflict.
      const met = change(X, 2, 'm', { n: 1 }, 4);
      await store.installSnapshotPage({
        applied: { [X]: 2 },
        versionFloor: undefined,
        after: undefined,
        records: [met],
        last: false,
      });
      assert.equal(await store.applyRemote(met), 'superseded');
      assert.deepEqual(await store.get(C, 'm'), met);
      assert.deepEqual(await store.readConflicts({ limit: 10 }), []);
      assert.equal((await store.stats()).conflicts, 0);
    });
  });

  group('merge policy', () => {
    void it('a merging policy gives the same record in either apply order, and records its conflict', () =>
      withFixture(
        ({ store: s1 }) =>
          withFixture(
            async ({ store: s2 }) => {
              const { o, a, b } = concurrentWrites((tag) => ({ tags: tag === 'o' ? ['o'] : ['o', tag] }));
              assert.deepEqual(await applyEach(s1, [o, a, b]), ['applied', 'applied', 'applied']);
              assert.deepEqual(await applyRemoteAll(s2, [o, b, a]), ['applied', 'applied', 'applied']);
              const merged = { value: { tags: ['a', 'b', 'o'] }, version: a.version };
              // Written with the origin and originSeq of the change that met the other.
              assert.deepEqual(await s1.get(C, 'k'), { ...recordFrom(b), ...merged });
              assert.deepEqual(await s2.get(C, 'k'), { ...recordFrom(a), ...merged });
              for (const store of [s1, s2]) {
                assert.deepEqual(await store.readConflicts({ limit: 10 }), [
                  {
                    id: 1,
                    collection: C,
                    key: 'k',
                    rule: 'crdt',
                    winner: a.version,
                    versions: [b, a].map(({ version, origin, value }) => ({ version, origin, value })),
                  },
                ]);
                // The log keeps each change as received: every region merges for itself.
                assert.deepEqual(
                  (await store.readLog(0, 10)).map((e) => e.value),
                  (store === s1 ? [o, a, b] : [o, b, a]).map((c) => c.value),
                );
              }
              // A write made over the merged record follows it everywhere: replaced, no conflict.
              const next = withBase(a.version, change(O, 2, 'k', { tags: ['o'] }, 4));
              for (const store of [s1, s2]) {
                assert.equal(await store.applyRemote(next), 'applied');
                assert.deepEqual(await store.get(C, 'k'), recordFrom(next));
                assert.equal((await store.stats()).conflicts, 1);
              }
            },
            { merge: unionTags },
          ),
        { merge: unionTags },
      ));

    void it('a policy that keeps the current record supersedes the change, which is still logged', () =>
      withFixture(
        async ({ store }) => {
          await mustWrite(store, put('k', { n: 1 }, 1));
          const newer = change(REMOTE, 1, 'k', { n: 2 }, 2);
          assert.equal(await store.applyRemote(newer), 'superseded');
          assert.deepEqual(await store.get(C, 'k'), recordOf(put('k', { n: 1 }, 1), 1));
          assert.deepEqual((await store.readLog(1, 10))[0], { ...newer, position: 2 });
          assert.deepEqual(await store.readConflicts({ limit: 10 }), []);
        },
        { merge: () => ({ result: { keep: 'current' } }) },
      ));

    void it('a policy that throws leaves the store as it was: no log entry, no seq, no conflict', () =>
      withFixture(
        async ({ store }) => {
          await mustWrite(store, put('k', { n: 1 }, 1));
          const before = await snapshot(store);
          await assert.rejects(store.applyRemote(change(REMOTE, 1, 'k', { n: 2 }, 2)), /policy failed/);
          await assert.rejects(applyRemoteAll(store, [change(REMOTE, 1, 'k', { n: 2 }, 2)]), /policy failed/);
          assert.deepEqual(await snapshot(store), before);
          assert.deepEqual(await store.readConflicts({ limit: 10 }), []);
          // A key without a record needs no policy.
          assert.equal(await store.applyRemote(change(REMOTE, 1, 'j', { n: 2 }, 2)), 'applied');
        },
        {
          merge: () => {
            throw new Error('policy failed');
          },
        },
      ));

    void it('a snapshot record meets the local one through the policy, and records no conflict', () =>
      withFixture(
        async ({ store }) => {
          await mustWrite(store, put('k', { tags: ['local'] }, 1));
          const remote = change(REMOTE, 1, 'k', { tags: ['remote'] }, 2);
          // The snapshot does not cover the local write (LOCAL is not in its applied vector), so it stays.
          await store.installSnapshotPage({
            applied: { [REMOTE]: 1 },
            versionFloor: undefined,
            after: undefined,
            records: [remote],
            last: true,
          });
          assert.deepEqual(await store.get(C, 'k'), { ...remote, value: { tags: ['local', 'remote'] } });
          assert.deepEqual(await store.readConflicts({ limit: 10 }), []);
          assert.equal((await store.stats()).conflicts, 0);
        },
        { merge: unionTags },
      ));
  });

  group('conflict ledger', () => {
    /** Five conflicts, alternately in C and in 'other': keys k0 to k4, ids 1 to 5. */
    async function fiveConflicts(store: Store): Promise<void> {
      for (let i = 0; i < 5; i++) {
        const collection = i % 2 === 0 ? C : 'other';
        await mustWrite(store, { ...put(`k${i}`, { i }, 10), collection });
        const concurrent = { ...change(REMOTE, i + 1, `k${i}`, { i }, 1), collection };
        assert.equal(await store.applyRemote(concurrent), 'superseded');
      }
    }

    test('readConflicts pages with the id cursor and filters by collection', async (store) => {
      await fiveConflicts(store);
      const all = await store.readConflicts({ limit: 100 });
      assert.deepEqual(
        all.map((c) => [c.id, c.collection, c.key, c.rule, c.winner]),
        [0, 1, 2, 3, 4].map((i) => [i + 1, i % 2 === 0 ? C : 'other', `k${i}`, 'lww', v(10)]),
      );
      const paged: ConflictEntry[] = [];
      for (let cursor = 0; ;) {
        const page = await store.readConflicts({ after: cursor, limit: 2 });
        paged.push(...page);
        if (page.length < 2) break;
        cursor = page.at(-1)!.id;
      }
      assert.deepEqual(paged, all);
      const ids = async (options: Parameters<Store['readConflicts']>[0]) =>
        (await store.readConflicts(options)).map((c) => c.id);
      assert.deepEqual(await ids({ collection: 'other', limit: 100 }), [2, 4]);
      assert.deepEqual(await ids({ collection: 'other', after: 2, limit: 100 }), [4]);
      assert.deepEqual(await ids({ collection: C, limit: 2 }), [1, 3]);
      assert.deepEqual(await ids({ collection: C, after: 3, limit: 100 }), [5]);
      assert.deepEqual(await ids({ collection: 'none', limit: 100 }), []);
      assert.deepEqual(await ids({ after: 5, limit: 100 }), []);
      assert.deepEqual(await ids({ limit: 0 }), []);
      assert.deepEqual(await ids({ limit: -1 }), []);
      assert.deepEqual(await ids({ limit: Infinity }), [1, 2, 3, 4, 5]);
      // Entries are copies: changing one changes nothing stored.
      const [first] = await store.readConflicts({ limit: 1 });
      (first!.versions[0]!.value as JsonObject).i = 99;
      assert.deepEqual(await store.readConflicts({ limit: 100 }), all);
    });

    void it('keeps conflicts across reopen, and ids go on after them', (t) =>
      withFixture(async ({ store, reopen }) => {
        if (reopen === undefined) return t.skip('this adapter keeps nothing across close');
        await fiveConflicts(store);
        const before = await store.readConflicts({ limit: 100 });
        await store.close();
        const reopened = await reopen();
        assert.deepEqual(await reopened.readConflicts({ limit: 100 }), before);
        assert.equal((await reopened.stats()).conflicts, 5);
        await mustWrite(reopened, put('z', { n: 1 }, 10));
        await reopened.applyRemote(change(REMOTE, 6, 'z', { n: 2 }, 1));
        assert.deepEqual(
          (await reopened.readConflicts({ after: 5, limit: 100 })).map((c) => [c.id, c.key]),
          [[6, 'z']],
        );
      }));
  });
}
