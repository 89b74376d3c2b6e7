// Tests for the MMDB writer: what it writes, the `maxmind` package reads back, value for value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader, type Response } from 'maxmind';
import { writeMmdb, type MmdbValue } from './mmdb-writer.ts';

const options = { databaseType: 'Test', description: 'test', buildEpoch: 1 };

test('networks are found, with their prefix length; other addresses are not', () => {
  const db = writeMmdb(
    [
      { cidr: '198.18.0.0/24', data: { country: { iso_code: 'JP' } } },
      { cidr: '198.18.1.0/24', data: { country: { iso_code: 'FR' } } },
      { cidr: '10.0.0.0/8', data: { n: 1 } },
    ],
    options,
  );
  const reader = new Reader<Response>(db);
  assert.equal(reader.metadata.databaseType, 'Test');
  assert.equal(reader.metadata.ipVersion, 4);
  assert.deepEqual(reader.getWithPrefixLength('198.18.0.77'), [{ country: { iso_code: 'JP' } }, 24]);
  assert.deepEqual(reader.get('198.18.1.1'), { country: { iso_code: 'FR' } });
  assert.deepEqual(reader.get('10.200.3.4'), { n: 1 });
  assert.equal(reader.get('198.18.2.1'), null);
  assert.equal(reader.get('8.8.8.8'), null);
});

test('overlapping networks are refused', () => {
  assert.throws(
    () =>
      writeMmdb(
        [
          { cidr: '10.0.0.0/8', data: 1 },
          { cidr: '10.1.0.0/16', data: 2 },
        ],
        options,
      ),
    /overlapping/,
  );
});

const valueArb: fc.Arbitrary<MmdbValue> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 300 }),
    fc.boolean(),
    fc.nat(),
    fc.maxSafeNat(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 10 }), tie('value'), { maxKeys: 4 }),
  ),
})).value as fc.Arbitrary<MmdbValue>;

test('property: every value the writer encodes reads back equal', () => {
  fc.assert(
    fc.property(valueArb, (value) => {
      const reader = new Reader<Response>(writeMmdb([{ cidr: '1.2.3.0/24', data: { value } }], options));
      assert.deepEqual(JSON.stringify(reader.get('1.2.3.4')), JSON.stringify({ value }));
    }),
    { numRuns: 300 },
  );
});
