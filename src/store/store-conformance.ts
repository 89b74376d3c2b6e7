// The one test suite every Store adapter must pass: each adapter's test file calls storeConformance.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { JsonObject } from '../core/json.ts';
import {
  ABSENT,
  C,
  change,
  ifVersion,
  keys,
  LOCAL,
  mustWrite,
  NONE,
  put,
  recordOf,
  REMOTE,
  snapshot,
  v,
  type MakeStore,
  type StoreFixture,
  type StoreOptions,
} from './conformance-support.ts';
import { mergeConformance } from './merge-conformance.ts';
import { provenanceConformance } from './provenance-conformance.ts';
import { operations, runOperation } from './random-operations.ts';
import { compareUtf8, createReferenceStore } from './reference-store.ts';
import { retentionConformance } from './retention-conformance.ts';
import type { Store } from './store.ts';

export type { MakeStore, StoreFixture, StoreOptions } from './conformance-support.ts';

export function storeConformance(name: string, makeStore: MakeStore): void {
  async function withFixture(
    body: (fixture: StoreFixture) => Promise<void>,
    options?: StoreOptions,
  ): Promise<void> {
    const fixture = await makeStore(options);
    try {
      await body(fixture);
    } finally {
      await fixture.cleanup();
    }
  }
  // node:test runs what describe/it register and awaits the promises they return itself.
  const group = (title: string, body: () => void) => void describe(title, body);
  const test = (title: string, body: (store: Store) => Promise<void>) =>
    void it(title, () => withFixture((fixture) => body(fixture.store)));

  void describe(`Store conformance: ${name}`, () => {
    group('get', () => {
      test('is undefined for a key never written', async (store) => {
        assert.equal(await store.get(C, 'nope'), undefined);
      });

      test('returns the document with its version and origin, per collection', async (store) => {
        await mustWrite(store, put('k', { n: 1 }, 1));
        await mustWrite(store, { ...put('k', { n: 2 }, 2), collection: 'other' });
        assert.deepEqual(await store.get(C, 'k'), recordOf(put('k', { n: 1 }, 1), 1));
        assert.deepEqual(
          await store.get('other', 'k'),
          recordOf({ ...put('k', { n: 2 }, 2), collection: 'other' }, 2),
        );
      });

      test('round-trips JSON values exactly and keeps no reference to the caller’s object', async (store) => {
        const value: JsonObject = {
          text: 'héllo ✓ 😀 \u2028 "quoted" \\ tab\t nul\u0000',
          numbers: [0, -1, 1.5, -2.25e-7, 1e300, 0.1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
          nested: { deeper: { deepest: [true, false, null, { empty: {} }, [], ''] } },
          '': 'empty key',
          ключ: '值',
          '😀': 1,
          proto: JSON.parse('{"__proto__": {"polluted": true}}') as JsonObject,
        };
        const expected = structuredClone(value);
        const entry = await mustWrite(store, put('rich', value, 1));
        value.text = 'changed after writing';
        assert.deepEqual(entry.value, expected);
        assert.deepEqual((await store.get(C, 'rich'))?.value, expected);
        assert.deepEqual((await store.readLog(0, 1))[0]?.value, expected);
        const read = await store.get(C, 'rich');
        if (read?.value) read.value.text = 'changed after reading';
        assert.deepEqual((await store.get(C, 'rich'))?.value, expected);
      });
    });

    group('writeLocal preconditions', () => {
      test("'none' writes over nothing, a live document and a tombstone", async (store) => {
        await mustWrite(store, put('k', { n: 1 }, 1));
        await mustWrite(store, put('k', null, 2));
        await mustWrite(store, put('k', { n: 3 }, 3));
        assert.deepEqual(await store.get(C, 'k'), recordOf(put('k', { n: 3 }, 3), 3));
      });

      test("'version' passes with exactly the current version, live or tombstone", async (store) => {
        await mustWrite(store, put('k', { n: 1 }, 1));
        await mustWrite(store, put('k', { n: 2 }, 2), ifVersion(v(1)));
        await mustWrite(store, put('k', null, 3), ifVersion(v(2)));
        await mustWrite(store, put('k', { n: 4 }, 4), ifVersion(v(3)));
        assert.deepEqual(await store.get(C, 'k'), recordOf(put('k', { n: 4 }, 4), 4));
      });

      test("'version' fails with another version or no record, returning the current record", async (store) => {
        assert.deepEqual(await store.writeLocal(put('k', { n: 1 }, 1), ifVersion(v(1))), {
          ok: false,
          current: undefined,
        });
        await mustWrite(store, put('k', { n: 1 }, 2));
        assert.deepEqual(await store.writeLocal(put('k', { n: 9 }, 3), ifVersion(v(1))), {
          ok: false,
          current: recordOf(put('k', { n: 1 }, 2), 1),
        });
      });

      test("'absent' passes with no record or a tombstone and fails on a live document", async (store) => {
        await mustWrite(store, put('k', { n: 1 }, 1), ABSENT);
        assert.deepEqual(await store.writeLocal(put('k', { n: 2 }, 2), ABSENT), {
          ok: false,
          current: recordOf(put('k', { n: 1 }, 1), 1),
        });
        await mustWrite(store, put('k', null, 3));
        await mustWrite(store, put('k', { n: 4 }, 4), ABSENT);
        assert.deepEqual(await store.get(C, 'k'), recordOf(put('k', { n: 4 }, 4), 3));
      });

      test('a failed write changes nothing and uses no position or originSeq', async (store) => {
        await mustWrite(store, put('k', { n: 1 }, 1));
        const before = await snapshot(store);
        assert.equal((await store.writeLocal(put('k', { n: 2 }, 2), ABSENT)).ok, false);
        assert.equal((await store.writeLocal(put('k', { n: 2 }, 2), ifVersion(v(7)))).ok, false);
        assert.equal((await store.writeLocal(put('new', { n: 2 }, 2), ifVersion(v(1)))).ok, false);
        assert.deepEqual(await snapshot(store), before);
        const next = await mustWrite(store, put('k', { n: 3 }, 3));
        assert.equal(next.position, 2);
        assert.equal(next.originSeq, 2);
      });

      test('a successful write returns its log entry: next position, next originSeq of its origin', async (store) => {
        const a = await mustWrite(store, put('a', { n: 1 }, 1));
        const b = await mustWrite(store, put('b', { n: 2 }, 2, REMOTE));
        const c = await mustWrite(store, put('c', null, 3));
        assert.deepEqual(a, { ...put('a', { n: 1 }, 1), originSeq: 1, position: 1 });
        assert.deepEqual(b, { ...put('b', { n: 2 }, 2, REMOTE), originSeq: 1, position: 2 });
        assert.deepEqual(c, { ...put('c', null, 3), originSeq: 2, position: 3 });
        assert.deepEqual(await store.readLog(0, 10), [a, b, c]);
        assert.deepEqual(await store.appliedSeqs(), { [LOCAL]: 2, [REMOTE]: 1 });
      });
    });

    group('delete (tombstone)', () => {
      test('get shows the tombstone, list skips it, stats count it, and the key can be recreated', async (store) => {
        await mustWrite(store, put('a', { n: 1 }, 1));
        await mustWrite(store, put('b', { n: 1 }, 1));
        await mustWrite(store, put('a', null, 2));
        assert.deepEqual(await store.get(C, 'a'), recordOf(put('a', null, 2), 3));
        assert.deepEqual(await keys(store), ['b']);
        assert.deepEqual(await store.stats(), { documents: 1, tombstones: 1, logEntries: 3, conflicts: 0 });
        await mustWrite(store, put('a', { n: 3 }, 3), ABSENT);
        assert.deepEqual(await keys(store), ['a', 'b']);
        assert.deepEqual(await store.stats(), { documents: 2, tombstones: 0, logEntries: 4, conflicts: 0 });
      });

      test('deleting a key never written leaves a tombstone', async (store) => {
        await mustWrite(store, put('ghost', null, 1));
        assert.deepEqual(await store.get(C, 'ghost'), recordOf(put('ghost', null, 1), 1));
        assert.deepEqual(await keys(store), []);
      });
    });

    group('list', () => {
      const writeKeys = async (store: Store, all: readonly string[]) => {
        for (const [i, key] of all.entries()) await mustWrite(store, put(key, { i }, 1));
      };

      test('orders keys by UTF-8 bytes (code points), not UTF-16 units', async (store) => {
        const all = [
          'b',
          'a',
          'ab',
          'a\u{1F600}',
          'a\uFFFD',
          'a\uE000',
          'A',
          'é',
          '~',
          'a\u0000',
          'a\u{10FFFF}',
        ];
        await writeKeys(store, all);
        assert.deepEqual(await keys(store), [...all].sort(compareUtf8));
        // The case where the two orders differ: an astral character sorts after U+E000-U+FFFF.
        assert.deepEqual(await keys(store, { prefix: 'a' }), [
          'a',
          'a\u0000',
          'ab',
          'a\uE000',
          'a\uFFFD',
          'a\u{1F600}',
          'a\u{10FFFF}',
        ]);
      });

      test('matches the prefix literally: % and _ are ordinary characters', async (store) => {
        await writeKeys(store, ['a%', 'a%b', 'axb', 'a_', 'a_b', 'ayb', 'a\\b', 'a\\', 'A%']);
        assert.deepEqual(await keys(store, { prefix: 'a%' }), ['a%', 'a%b']);
        assert.deepEqual(await keys(store, { prefix: 'a_' }), ['a_', 'a_b']);
        assert.deepEqual(await keys(store, { prefix: 'a\\' }), ['a\\', 'a\\b']);
        assert.deepEqual(await keys(store, { prefix: '%' }), []);
      });

      test('a prefix covers exactly the keys that start with it, up to the next key above the range', async (store) => {
        await writeKeys(store, [
          'aa',
          'ab',
          'ab\u0000',
          'abc',
          'ab\u{10FFFF}',
          'ab\u{10FFFF}z',
          'ac',
          'ac0',
          'b',
        ]);
        await writeKeys(store, ['x\uD7FF', 'x\uD7FFy', 'x\uE000', 'x\u{10000}', '\u{10FFFF}', '\u{10FFFF}!']);
        assert.deepEqual(await keys(store, { prefix: 'ab' }), [
          'ab',
          'ab\u0000',
          'abc',
          'ab\u{10FFFF}',
          'ab\u{10FFFF}z',
        ]);
        assert.deepEqual(await keys(store, { prefix: 'ab\u{10FFFF}' }), ['ab\u{10FFFF}', 'ab\u{10FFFF}z']);
        assert.deepEqual(await keys(store, { prefix: 'ac' }), ['ac', 'ac0']);
        assert.deepEqual(await keys(store, { prefix: 'x\uD7FF' }), ['x\uD7FF', 'x\uD7FFy']);
        assert.deepEqual(await keys(store, { prefix: '\u{10FFFF}' }), ['\u{10FFFF}', '\u{10FFFF}!']);
      });

      test('after is an exclusive cursor and combines with prefix', async (store) => {
        await writeKeys(store, ['a', 'b', 'b1', 'b2', 'c']);
        assert.deepEqual(await keys(store, { after: 'b' }), ['b1', 'b2', 'c']);
        assert.deepEqual(await keys(store, { after: 'a0' }), ['b', 'b1', 'b2', 'c']);
        assert.deepEqual(await keys(store, { prefix: 'b', after: 'a' }), ['b', 'b1', 'b2']);
        assert.deepEqual(await keys(store, { prefix: 'b', after: 'b' }), ['b1', 'b2']);
        assert.deepEqual(await keys(store, { prefix: 'b', after: 'b1' }), ['b2']);
        assert.deepEqual(await keys(store, { prefix: 'b', after: 'b2' }), []);
        assert.deepEqual(await keys(store, { after: 'c' }), []);
        assert.deepEqual(await keys(store, { after: '' }), ['a', 'b', 'b1', 'b2', 'c']);
      });

      test('returns at most limit documents; limit 0 returns none', async (store) => {
        await writeKeys(store, ['a', 'b', 'c']);
        assert.deepEqual(await keys(store, { limit: 2 }), ['a', 'b']);
        assert.deepEqual(await keys(store, { limit: 0 }), []);
        assert.deepEqual(await keys(store, { limit: -1 }), []);
        assert.deepEqual(await keys(store, { limit: Infinity }), ['a', 'b', 'c']);
        assert.deepEqual(await store.list(C, { limit: 1 }), [recordOf(put('a', { i: 0 }, 1), 1)]);
      });

      test('lists only the named collection', async (store) => {
        await mustWrite(store, put('a', { n: 1 }, 1));
        await mustWrite(store, { ...put('b', { n: 1 }, 1), collection: `${C}2` });
        assert.deepEqual(await keys(store), ['a']);
        assert.deepEqual(await keys(store, {}, `${C}2`), ['b']);
        assert.deepEqual(await keys(store, {}, 'empty'), []);
      });

      test('pages through 1,000 documents with the cursor, skipping tombstones', async (store) => {
        const all = Array.from({ length: 1000 }, (_, i) => `doc-${(i * 7919) % 1000}`);
        await writeKeys(store, all);
        for (const key of all.filter((_, i) => i % 10 === 0)) await mustWrite(store, put(key, null, 2));
        const live = all.filter((_, i) => i % 10 !== 0).sort(compareUtf8);
        for (const prefix of ['', 'doc-1']) {
          const paged: string[] = [];
          for (let after: string | undefined; ; after = paged.at(-1)) {
            const page = await keys(store, { prefix, after, limit: 37 });
            paged.push(...page);
            if (page.length < 37) break;
          }
          assert.deepEqual(
            paged,
            live.filter((k) => k.startsWith(prefix)),
          );
        }
      });
    });

    group('applyRemote (exactly-once, last-write-wins)', () => {
      test("applies an origin's next change: document, log entry and applied seq", async (store) => {
        const c1 = change(REMOTE, 1, 'k', { n: 1 }, 1);
        assert.equal(await store.applyRemote(c1), 'applied');
        assert.deepEqual(await store.get(C, 'k'), c1);
        assert.deepEqual(await store.readLog(0, 10), [{ ...c1, position: 1 }]);
        assert.deepEqual(await store.appliedSeqs(), { [REMOTE]: 1 });
      });

      test('a change already applied is a duplicate and writes nothing', async (store) => {
        await store.applyRemote(change(REMOTE, 1, 'k', { n: 1 }, 1));
        await store.applyRemote(change(REMOTE, 2, 'k', { n: 2 }, 2));
        const before = await snapshot(store);
        assert.equal(await store.applyRemote(change(REMOTE, 2, 'k', { n: 2 }, 2)), 'duplicate');
        assert.equal(await store.applyRemote(change(REMOTE, 1, 'other', { n: 9 }, 9)), 'duplicate');
        assert.deepEqual(await snapshot(store), before);
      });

      test('a change after a missing one is a gap and writes nothing until the gap is filled', async (store) => {
        const before = await snapshot(store);
        assert.equal(await store.applyRemote(change(REMOTE, 2, 'k', { n: 2 }, 2)), 'gap');
        assert.deepEqual(await snapshot(store), before);
        assert.equal(await store.applyRemote(change(REMOTE, 1, 'k', { n: 1 }, 1)), 'applied');
        const after1 = await snapshot(store);
        assert.equal(await store.applyRemote(change(REMOTE, 3, 'k', { n: 3 }, 3)), 'gap');
        assert.deepEqual(await snapshot(store), after1);
        assert.equal(await store.applyRemote(change(REMOTE, 2, 'k', { n: 2 }, 2)), 'applied');
        assert.equal(await store.applyRemote(change(REMOTE, 3, 'k', { n: 3 }, 3)), 'applied');
        assert.deepEqual(await store.appliedSeqs(), { [REMOTE]: 3 });
      });

      test('an older or equal version is superseded: logged and sequenced, document unchanged', async (store) => {
        await mustWrite(store, put('k', { n: 5 }, 5));
        const older = change(REMOTE, 1, 'k', { n: 3 }, 3);
        assert.equal(await store.applyRemote(older), 'superseded');
        const same = { ...change(REMOTE, 2, 'k', { n: 6 }, 5), version: v(5) };
        assert.equal(await store.applyRemote(same), 'superseded');
        assert.deepEqual(await store.get(C, 'k'), recordOf(put('k', { n: 5 }, 5), 1));
        assert.deepEqual(await store.readLog(1, 10), [
          { ...older, position: 2 },
          { ...same, position: 3 },
        ]);
        assert.deepEqual(await store.appliedSeqs(), { [LOCAL]: 1, [REMOTE]: 2 });
        assert.equal(await store.applyRemote(older), 'duplicate');
      });

      test('a newer version replaces the document, and a remote tombstone deletes it', async (store) => {
        await mustWrite(store, put('k', { n: 1 }, 1));
        const newer = change(REMOTE, 1, 'k', { n: 2 }, 2);
        assert.equal(await store.applyRemote(newer), 'applied');
        assert.deepEqual(await store.get(C, 'k'), newer);
        const tombstone = change(REMOTE, 2, 'k', null, 3);
        assert.equal(await store.applyRemote(tombstone), 'applied');
        assert.deepEqual(await store.get(C, 'k'), tombstone);
        assert.deepEqual(await keys(store), []);
        // A later local write still wins over the tombstone, and 'absent' allows it.
        await mustWrite(store, put('k', { n: 4 }, 4), ABSENT);
        assert.deepEqual(await keys(store), ['k']);
      });

      test('origins are sequenced independently, and local writes count as their origin', async (store) => {
        await mustWrite(store, put('a', { n: 1 }, 1));
        assert.equal(await store.applyRemote(change('ap-south-1', 1, 'b', { n: 1 }, 1)), 'applied');
        assert.equal(await store.applyRemote(change(REMOTE, 1, 'c', { n: 1 }, 1)), 'applied');
        // Our own write relayed back to us is a duplicate; our next one continues the sequence.
        assert.equal(await store.applyRemote(change(LOCAL, 1, 'a', { n: 1 }, 1)), 'duplicate');
        assert.equal(await store.applyRemote(change(LOCAL, 3, 'a', { n: 1 }, 1)), 'gap');
        assert.equal((await mustWrite(store, put('a', { n: 2 }, 2))).originSeq, 2);
        assert.deepEqual(await store.appliedSeqs(), { [LOCAL]: 2, 'ap-south-1': 1, [REMOTE]: 1 });
      });
    });

    group('log and stats', () => {
      test('an empty store has head 0, no entries and zero stats', async (store) => {
        assert.equal(await store.logHead(), 0);
        assert.deepEqual(await store.readLog(0, 10), []);
        assert.deepEqual(await store.appliedSeqs(), {});
        assert.deepEqual(await store.stats(), { documents: 0, tombstones: 0, logEntries: 0, conflicts: 0 });
      });

      test('readLog pages by position in write order', async (store) => {
        for (let i = 1; i <= 10; i++) {
          if (i % 3 === 0) await store.applyRemote(change(REMOTE, i / 3, `k${i}`, { i }, i));
          else await mustWrite(store, put(`k${i}`, { i }, i));
        }
        const all = await store.readLog(0, 100);
        assert.deepEqual(
          all.map((e) => [e.position, e.key]),
          Array.from({ length: 10 }, (_, i) => [i + 1, `k${i + 1}`]),
        );
        assert.equal(await store.logHead(), 10);
        const paged = [];
        for (let after = 0; after < 10; after += 3) paged.push(...(await store.readLog(after, 3)));
        assert.deepEqual(paged, all);
        assert.deepEqual(await store.readLog(3, 2), all.slice(3, 5));
        assert.deepEqual(await store.readLog(10, 5), []);
        assert.deepEqual(await store.readLog(0, 0), []);
        assert.deepEqual(await store.readLog(8, Infinity), all.slice(8));
      });

      test('stats count live documents, tombstones, log entries and conflicts across collections', async (store) => {
        await mustWrite(store, put('a', { n: 1 }, 1));
        await mustWrite(store, { ...put('a', { n: 1 }, 1), collection: 'other' });
        await mustWrite(store, put('b', null, 2));
        // Written without having seen the local 'a': a conflict, which the ledger counts.
        await store.applyRemote(change(REMOTE, 1, 'a', { n: 0 }, 0));
        assert.deepEqual(await store.stats(), { documents: 2, tombstones: 1, logEntries: 4, conflicts: 1 });
      });
    });

    group('positionAfter (where a puller resumes)', () => {
      // Log: 1 L1, 2 R1, 3 L2, 4 X1, 5 R2, 6 L3 (origin + seq).
      const X = 'ap-south-1';
      async function interleaved(store: Store): Promise<void> {
        await mustWrite(store, put('a', { n: 1 }, 1));
        await store.applyRemote(change(REMOTE, 1, 'b', { n: 1 }, 1));
        await mustWrite(store, put('a', { n: 2 }, 2));
        await store.applyRemote(change(X, 1, 'c', { n: 1 }, 1));
        await store.applyRemote(change(REMOTE, 2, 'b', { n: 2 }, 2));
        await mustWrite(store, put('a', { n: 3 }, 3));
      }

      test('an empty log resumes at 0 whatever the puller has', async (store) => {
        assert.equal(await store.positionAfter({}), 0);
        assert.equal(await store.positionAfter({ [LOCAL]: 5, [REMOTE]: 2 }), 0);
      });

      test('is the longest prefix of the log the puller already has', async (store) => {
        await interleaved(store);
        assert.equal(await store.positionAfter({}), 0);
        assert.equal(await store.positionAfter({ [REMOTE]: 2, [X]: 1 }), 0);
        assert.equal(await store.positionAfter({ [LOCAL]: 1 }), 1);
        assert.equal(await store.positionAfter({ [LOCAL]: 3, [REMOTE]: 1 }), 3);
        assert.equal(await store.positionAfter({ [LOCAL]: 2, [REMOTE]: 1, [X]: 1 }), 4);
        assert.equal(await store.positionAfter({ [LOCAL]: 2, [REMOTE]: 2, [X]: 1 }), 5);
        assert.equal(await store.positionAfter({ [LOCAL]: 3, [REMOTE]: 2, [X]: 1 }), 6);
      });

      test('seqs beyond this log and origins it never saw change nothing', async (store) => {
        await interleaved(store);
        assert.equal(await store.positionAfter({ [LOCAL]: 99, [REMOTE]: 99, [X]: 99 }), 6);
        // X is absent, so its first change (position 4) is the first one the puller lacks.
        assert.equal(await store.positionAfter({ [LOCAL]: 99, [REMOTE]: 2, 'sa-east-1': 7 }), 3);
      });

      test('reads malformed seqs as 0 or rounded down, never skipping an entry', async (store) => {
        await interleaved(store);
        const all = { [REMOTE]: 2, [X]: 1 };
        assert.equal(await store.positionAfter({ ...all, [LOCAL]: -3 }), 0);
        assert.equal(await store.positionAfter({ ...all, [LOCAL]: Number.NaN }), 0);
        assert.equal(await store.positionAfter({ ...all, [LOCAL]: Infinity }), 0);
        assert.equal(await store.positionAfter({ ...all, [LOCAL]: 2.9 }), 5);
        const inherited = Object.create({ [LOCAL]: 3 }) as Record<string, number>;
        assert.equal(await store.positionAfter(Object.assign(inherited, all)), 0);
      });

      test('agrees with a scan of readLog on every prefix of applied seqs', async (store) => {
        await interleaved(store);
        const log = await store.readLog(0, 100);
        for (let l = 0; l <= 3; l++) {
          for (let r = 0; r <= 2; r++) {
            for (let x = 0; x <= 1; x++) {
              const applied: Record<string, number> = { [LOCAL]: l, [REMOTE]: r, [X]: x };
              const first = log.find((e) => e.originSeq > (applied[e.origin] ?? 0));
              const expected = first === undefined ? log.length : first.position - 1;
              assert.equal(await store.positionAfter(applied), expected, JSON.stringify(applied));
            }
          }
        }
      });
    });

    group('lifecycle', () => {
      test('close is idempotent and later calls reject', async (store) => {
        await store.close();
        await store.close();
        await assert.rejects(store.get(C, 'k'));
        await assert.rejects(store.writeLocal(put('k', { n: 1 }, 1), NONE));
      });

      void it('keeps everything written before close after reopen', (t) =>
        withFixture(async ({ store, reopen }) => {
          if (reopen === undefined) return t.skip('this adapter keeps nothing across close');
          await mustWrite(store, put('a', { rich: ['😀', 1.5, { deep: null }] }, 1));
          await mustWrite(store, put('b', { n: 1 }, 1));
          await mustWrite(store, put('b', null, 2));
          await store.applyRemote(change(REMOTE, 1, 'c', { n: 1 }, 1));
          await store.applyRemote(change(REMOTE, 2, 'a', { n: 0 }, 0));
          await mustWrite(store, { ...put('z', { n: 1 }, 3), collection: 'other' });
          const before = await snapshot(store, [C, 'other']);
          const tombstone = await store.get(C, 'b');
          await store.close();
          const reopened = await reopen();
          assert.deepEqual(await snapshot(reopened, [C, 'other']), before);
          assert.deepEqual(await reopened.get(C, 'b'), tombstone);
          const next = await mustWrite(reopened, put('d', { n: 1 }, 4));
          assert.deepEqual([next.position, next.originSeq], [7, 5]);
          assert.equal(await reopened.applyRemote(change(REMOTE, 2, 'x', { n: 1 }, 9)), 'duplicate');
        }));
    });

    retentionConformance({ group, test, withFixture });
    provenanceConformance({ group, test, withFixture });
    mergeConformance({ group, test, withFixture });

    void it('agrees with a reference model on random operation sequences', () =>
      fc.assert(
        fc.asyncProperty(operations, async (ops) => {
          const model = createReferenceStore();
          await withFixture(async ({ store }) => {
            for (const [i, op] of ops.entries()) {
              assert.deepEqual(
                await runOperation(store, op),
                await runOperation(model, op),
                `operation ${i}`,
              );
            }
          });
        }),
        { numRuns: 100 },
      ));
  });
}
