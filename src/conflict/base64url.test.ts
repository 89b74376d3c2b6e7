import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeBase64UrlAscii, encodeBase64UrlAscii } from './base64url.ts';

test('encodes ASCII exactly as Buffer does, and decodes it back', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)) }),
      (s) => {
        const encoded = encodeBase64UrlAscii(s);
        assert.equal(encoded, Buffer.from(s, 'latin1').toString('base64url'));
        assert.equal(decodeBase64UrlAscii(encoded), s);
      },
    ),
  );
});

test('refuses anything but the one strict spelling of ASCII text', () => {
  for (const bad of ['Y', 'YQ==', 'YR', 'YWJ=', 'a+b/', 'ab c', 'gA', '_w']) {
    assert.equal(decodeBase64UrlAscii(bad), undefined, bad);
  }
  assert.throws(() => encodeBase64UrlAscii('é'), RangeError);
});
