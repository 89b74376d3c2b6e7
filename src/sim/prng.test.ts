import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createPrng } from './prng.ts';

const draw = (seed: number, stream = 0) => {
  const prng = createPrng(seed, stream);
  return Array.from({ length: 8 }, () => prng.next());
};

test('the same seed and stream give the same sequence; others differ', () => {
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  assert.notDeepEqual(draw(7, 0), draw(7, 1));
  assert.deepEqual(createPrng(7).fork(3).next(), createPrng(7).fork(3).next());
  assert.notEqual(createPrng(7).fork(3).next(), createPrng(7).fork(4).next());
});

test('values stay in range and spread evenly', () => {
  fc.assert(
    fc.property(
      fc.integer(),
      fc.integer({ min: -5, max: 5 }),
      fc.integer({ min: 0, max: 9 }),
      (seed, min, span) => {
        const prng = createPrng(seed);
        for (let i = 0; i < 50; i++) {
          const x = prng.next();
          assert.ok(x >= 0 && x < 1);
          const n = prng.int(min, min + span);
          assert.ok(Number.isInteger(n) && n >= min && n <= min + span);
        }
      },
    ),
  );
  const prng = createPrng(1);
  const buckets = [0, 0, 0, 0];
  for (let i = 0; i < 40_000; i++) buckets[prng.int(0, 3)]!++;
  for (const count of buckets) assert.ok(Math.abs(count - 10_000) < 500, `${buckets.join(', ')}`);
  assert.throws(() => prng.pick([]), RangeError);
});
