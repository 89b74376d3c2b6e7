// Properties of the shared key order: it is UTF-8 byte order, and prefix ranges are exact.

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { it } from 'node:test';
import fc from 'fast-check';
import { compareKeys, listStart, prefixUpperBound } from './key-order.ts';

const text = fc.string({ unit: 'binary', maxLength: 6 });
const sign = (n: number) => Math.sign(n);
const utf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

void it('compareKeys agrees with comparing UTF-8 bytes', () => {
  fc.assert(
    fc.property(text, text, (a, b) => {
      assert.equal(sign(compareKeys(a, b)), sign(utf8(a, b)));
    }),
    { numRuns: 1000 },
  );
  assert.ok(compareKeys('\uFFFD', '\u{1F600}') < 0, 'astral characters sort after U+E000-U+FFFF');
});

void it('a key starts with a prefix exactly when it lies in [prefix, prefixUpperBound(prefix))', () => {
  const edge = fc.constantFrom('\u{10FFFF}', '\uD7FF', '\uE000', '\uFFFF', '\u{10000}', 'z');
  const piece = fc.oneof(text, edge);
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 3 }), fc.array(piece, { maxLength: 3 }), (p, s) => {
      const prefix = p.join('');
      for (const key of [prefix + s.join(''), s.join('')]) {
        const upper = prefixUpperBound(prefix);
        const inRange = compareKeys(key, prefix) >= 0 && (upper === undefined || compareKeys(key, upper) < 0);
        assert.equal(inRange, key.startsWith(prefix), JSON.stringify({ prefix, key, upper }));
      }
    }),
    { numRuns: 1000 },
  );
  assert.equal(prefixUpperBound('a\uD7FF'), 'a\uE000');
  assert.equal(prefixUpperBound('a\u{10FFFF}'), 'b');
  assert.equal(prefixUpperBound('\u{10FFFF}'), undefined);
});

void it('listStart starts at the larger of the cursor and the prefix', () => {
  assert.deepEqual(listStart('', undefined), { key: '', strict: false });
  assert.deepEqual(listStart('b', 'a'), { key: 'b', strict: false });
  assert.deepEqual(listStart('b', 'b'), { key: 'b', strict: true });
  assert.deepEqual(listStart('b', 'c'), { key: 'c', strict: true });
});
