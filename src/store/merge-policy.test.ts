// Properties of the default merge policy: the winner does not depend on the order changes arrive in,
// and concurrency is read from each change's base alone.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatVersion } from '../core/version.ts';
import { isConcurrent, lastWriteWins, resolveRemote } from './merge-policy.ts';
import type { Change, DocRecord } from './store.ts';

const version = fc
  .record({ wall: fc.integer({ min: 1, max: 50 }), region: fc.constantFrom('r1', 'r2', 'r3') })
  .map(({ wall, region }) => formatVersion({ wall, counter: 0 }, region));

/** Concurrent changes to one key: distinct versions, none naming another as its base. */
const concurrent = fc.uniqueArray(version, { minLength: 1, maxLength: 6 }).map((versions) =>
  versions.map((v, i): Change => ({
    collection: 'c',
    key: 'k',
    value: i % 3 === 0 ? null : { i },
    version: v,
    origin: v.split('@')[1]!,
    originSeq: i + 1,
  })),
);

/** Applies `changes` in order as a store does; returns the record left and the conflicts recorded. */
function fold(changes: readonly Change[]) {
  let current: DocRecord | undefined;
  const conflicts = [];
  for (const change of changes) {
    const { record, conflict } = resolveRemote(lastWriteWins, current, change);
    if (conflict !== undefined) conflicts.push(conflict);
    if (record !== undefined) current = record;
  }
  return { current, conflicts };
}

test('concurrent changes end on the largest version in every order, with a conflict for each but the first', () => {
  const orders = concurrent.chain((changes) =>
    fc.tuple(
      fc.constant(changes),
      fc.shuffledSubarray(changes, { minLength: changes.length, maxLength: changes.length }),
    ),
  );
  fc.assert(
    fc.property(orders, ([changes, shuffled]) => {
      const largest = [...changes].sort((a, b) => (a.version < b.version ? 1 : -1))[0]!;
      for (const order of [changes, shuffled]) {
        const { current, conflicts } = fold(order);
        assert.equal(current, largest);
        assert.equal(conflicts.length, changes.length - 1);
        for (const c of conflicts) {
          assert.equal(c.rule, 'lww');
          assert.deepEqual(
            c.versions.map((x) => x.version),
            c.versions.map((x) => x.version).sort(),
          );
          assert.equal(c.winner, c.versions.at(-1)!.version);
        }
      }
    }),
  );
});

test('two concurrent changes record the same conflict whichever arrives first', () => {
  fc.assert(
    fc.property(concurrent, (changes) => {
      fc.pre(changes.length >= 2);
      const [x, y] = changes as [Change, Change];
      assert.deepEqual(lastWriteWins(x, y).conflict, lastWriteWins(y, x).conflict);
    }),
  );
});

test('a change is concurrent unless it names the record as its base or is the record itself', () => {
  const record: DocRecord = {
    collection: 'c',
    key: 'k',
    value: { n: 1 },
    version: 'v1',
    origin: 'r1',
    originSeq: 1,
  };
  const change = (version: string, base?: string): Change => ({
    ...record,
    version,
    origin: 'r2',
    ...(base === undefined ? {} : { base }),
  });
  assert.equal(isConcurrent(record, change('v2', 'v1')), false, 'a causal successor');
  assert.equal(isConcurrent(record, { ...record, base: 'v0' }), false, 'the record met again');
  assert.equal(isConcurrent(record, change('v2')), true, 'written where the key had no record');
  assert.equal(isConcurrent(record, change('v2', 'v0')), true, 'written over an older version');
  assert.equal(isConcurrent(record, change('v0', 'v1')), false, 'a successor with a smaller version');
});
