import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createProgressMatrix, type ProgressReport } from './progress-matrix.ts';
import { covers, maxVector, minVector, seqOf, type SeqVector } from './seq-vector.ts';

const REGIONS = ['a', 'b', 'c'];

test('seq vectors: absent and malformed seqs are 0; max and min are per origin', () => {
  assert.equal(seqOf({ a: 2.7 }, 'a'), 2);
  assert.equal(seqOf({ a: -1 }, 'a'), 0);
  assert.equal(seqOf({}, 'a'), 0);
  assert.equal(seqOf(Object.create({ a: 3 }) as SeqVector, 'a'), 0);
  assert.deepEqual(maxVector({ a: 1, b: 5 }, { a: 3, c: 0 }), { a: 3, b: 5 });
  assert.deepEqual(minVector([{ a: 3, b: 5 }, { a: 1 }]), { a: 1 });
  assert.deepEqual(minVector([]), {});
  assert.ok(covers({ a: 3, b: 1 }, { a: 3 }) && !covers({ a: 2 }, { a: 3, b: 0 }));
});

const vector = fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 9 }), { maxKeys: 3 });
const report: fc.Arbitrary<ProgressReport> = fc.dictionary(
  fc.constantFrom('a', 'b', 'c', 'zz'),
  fc.record({ applied: vector }),
  { maxKeys: 4 },
);

test('rows merge by maximum: the order, repetition and grouping of reports do not matter', () => {
  fc.assert(
    fc.property(fc.array(report, { maxLength: 6 }), (reports) => {
      const forward = createProgressMatrix('a', REGIONS);
      for (const r of reports) forward.learn(r);
      const shuffled = createProgressMatrix('a', REGIONS);
      for (const r of [...reports].reverse()) shuffled.learn(r);
      for (const r of reports) shuffled.learn(r);
      assert.deepEqual(shuffled.report(), forward.report());
      assert.deepEqual(shuffled.watermark(), forward.watermark());
    }),
  );
});

test('the watermark is the minimum over every region, unknown while one is unheard of', () => {
  const m = createProgressMatrix('a', REGIONS);
  m.setOwn({ applied: { a: 5, b: 3 } });
  assert.equal(m.watermark(), undefined);
  assert.equal(m.stable(), undefined);
  m.learn({ b: { applied: { a: 4, b: 3 } } });
  assert.equal(m.watermark(), undefined, 'c is still unknown');
  m.learn({ c: { applied: { a: 2, b: 9, c: 1 } }, zz: { applied: { a: 0 } } });
  assert.deepEqual(m.watermark(), { a: 2, b: 3 });
  assert.deepEqual(Object.keys(m.report()).sort(), ['a', 'b', 'c'], 'regions not configured are ignored');
});

test('stable needs, for every region, a report whose own changes this region has all applied', () => {
  const m = createProgressMatrix('a', REGIONS);
  m.setOwn({ applied: { a: 5, b: 3, c: 1 } });
  // b has a#5, as of b#4: we have only b#3, so b#4 might be older than a#5 and still on its way here.
  m.learn({ b: { applied: { a: 5, b: 4 } }, c: { applied: { a: 5, c: 1 } } });
  assert.deepEqual(m.watermark(), { a: 5 });
  assert.deepEqual(m.stable(), {});
  m.setOwn({ applied: { a: 5, b: 4, c: 1 } });
  assert.deepEqual(m.stable(), { a: 5 });
  // A later report of b (further along, not yet covered) does not take back what is stable.
  m.learn({ b: { applied: { a: 6, b: 9 } } });
  assert.deepEqual(m.stable(), { a: 5 });
});

test('a region that keeps writing still lets an older report become stable (the oldest pending one folds in)', () => {
  const m = createProgressMatrix('a', ['a', 'b']);
  let bSeq = 1;
  m.setOwn({ applied: { a: 1 } });
  m.learn({ b: { applied: { a: 1, b: bSeq } } });
  for (let round = 0; round < 5; round++) {
    // b writes again before we catch up with its last report.
    bSeq++;
    m.learn({ b: { applied: { a: 1, b: bSeq } } });
    m.setOwn({ applied: { a: 1, b: bSeq - 1 } });
  }
  assert.deepEqual(m.stable(), { a: 1, b: bSeq - 1 });
});

test('the changes counter moves only when a row changed; rows about this region only raise its known clock', () => {
  const m = createProgressMatrix('a', REGIONS);
  const before = m.changes;
  m.learn({ b: { applied: { a: 1 } } });
  const afterB = m.changes;
  assert.ok(afterB > before);
  m.learn({ b: { applied: { a: 1 } } });
  m.learn({ b: { applied: { a: 0 } } });
  assert.equal(m.changes, afterB);
  m.learn({ a: { applied: { a: 99 }, clock: '000000000010000@a' } });
  m.learn({ a: { applied: {}, clock: '000000000005000@a' } });
  assert.equal(m.ownClockAsKnown(), '000000000010000@a');
  assert.deepEqual(m.report()['a'], { applied: {} }, 'our own row is what we set, not what others say');
  m.learn({ b: 'garbage' as unknown as { applied: SeqVector } });
  assert.equal(m.changes, afterB);
});
