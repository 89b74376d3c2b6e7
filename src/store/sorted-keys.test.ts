// SortedKeys behaves like a set whose iteration is in key order, across chunk splits and removals.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { compareKeys } from './key-order.ts';
import { SortedKeys } from './sorted-keys.ts';

void it('keeps thousands of keys in order through chunk splits and removals', () => {
  const keys = new SortedKeys();
  const all = Array.from({ length: 3000 }, (_, i) => `k${String(i).padStart(4, '0')}`);
  for (const key of [...all].reverse()) keys.add(key);
  // Thins every chunk, and empties whole chunks in the middle.
  const gone = (i: number) => i % 3 !== 0 || (i >= 1000 && i < 2000);
  for (const key of all.filter((_, i) => gone(i))) keys.delete(key);
  keys.add('k0000');
  keys.add('k1500');
  const left = [...all.filter((_, i) => !gone(i)), 'k1500'].sort();
  assert.equal(keys.size, left.length);
  assert.deepEqual([...keys.from('', false)], left);
  assert.deepEqual(
    [...keys.from('k1500', true)],
    left.filter((k) => k > 'k1500'),
  );
  assert.deepEqual([...keys.from('k9', false)], []);
});

void it('matches a sorted Set under random adds and deletes', () => {
  const key = fc.integer({ min: 0, max: 2000 }).map((n) => `k${n}`);
  const op = fc.record({ add: fc.oneof(fc.constant(true), fc.boolean()), key });
  fc.assert(
    fc.property(fc.array(op, { minLength: 500, maxLength: 3000 }), key, fc.boolean(), (ops, from, strict) => {
      const keys = new SortedKeys();
      const model = new Set<string>();
      for (const { add, key } of ops) {
        if (add) {
          keys.add(key);
          model.add(key);
        } else {
          keys.delete(key);
          model.delete(key);
        }
      }
      const sorted = [...model].sort(compareKeys);
      assert.equal(keys.size, model.size);
      assert.deepEqual([...keys.from('', false)], sorted);
      const starts = (k: string) => (strict ? compareKeys(k, from) > 0 : compareKeys(k, from) >= 0);
      assert.deepEqual([...keys.from(from, strict)], sorted.filter(starts));
    }),
    { numRuns: 50 },
  );
});
