import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../core/errors.ts';
import { encodeBase64UrlAscii } from './base64url.ts';
import { decodeContext, encodeContext, MAX_CONTEXT_CHARS, parseContext, type Context } from './context.ts';
import { MAX_REPLICAS, REPLICA_RE } from './version-vector.ts';

const arbReplica = fc.stringMatching(REPLICA_RE);
const arbContext: fc.Arbitrary<Context> = fc.dictionary(
  fc.oneof(arbReplica, fc.constantFrom('constructor', 'eu-west-1')),
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  { maxKeys: MAX_REPLICAS, noNullPrototype: true },
);

const header = (json: string) => `c1.${encodeBase64UrlAscii(json)}`;

function rejects(value: string, message: RegExp): void {
  assert.throws(
    () => decodeContext(value),
    (err: unknown) =>
      isMeridianError(err) && err.code === 'bad_request' && err.status === 400 && message.test(err.message),
    `${JSON.stringify(value.slice(0, 60))} should be refused with ${String(message)}`,
  );
}

test('a context survives encode then decode, and the header survives decode then encode', () => {
  fc.assert(
    fc.property(arbContext, (context) => {
      const text = encodeContext(context);
      assert.match(text, /^c1\.[A-Za-z0-9_-]*$/); // header- and URL-safe as is
      assert.ok(text.length <= MAX_CONTEXT_CHARS);
      assert.deepEqual(decodeContext(text), context);
      assert.equal(encodeContext(decodeContext(text)), text);
    }),
  );
});

test('the format is c1. and base64url of JSON with sorted keys', () => {
  const text = encodeContext({ 'us-east-1': 2, 'eu-west-1': 4 });
  assert.equal(text, 'c1.eyJldS13ZXN0LTEiOjQsInVzLWVhc3QtMSI6Mn0');
  assert.equal(Buffer.from(text.slice(3), 'base64url').toString(), '{"eu-west-1":4,"us-east-1":2}');
  assert.equal(encodeContext({}), 'c1.e30');
  assert.deepEqual(decodeContext('c1.e30'), {});
});

test('the largest valid context fits the header limit', () => {
  const largest = Object.fromEntries(
    Array.from({ length: MAX_REPLICAS }, (_, i) => [
      `r${String(i).padStart(62, '0')}`,
      Number.MAX_SAFE_INTEGER,
    ]),
  );
  assert.ok(encodeContext(largest).length <= MAX_CONTEXT_CHARS);
});

test('garbage is refused with a message saying what is wrong', () => {
  rejects('', /is empty/);
  rejects('eyJhIjoxfQ', /must look like c1\.<base64url JSON>/);
  rejects('c2.e30', /must look like c1\./);
  rejects('c1.!!!', /not base64url/);
  rejects('c1.e30=', /not base64url/);
  rejects('c1.e3', /not base64url/);
  rejects(`c1.${Buffer.from('{"a":"é"}').toString('base64url')}`, /not base64url of ASCII/);
  rejects(header('{"a":1'), /does not hold JSON/);
  rejects(header('[1]'), /must be a JSON object of replica name to counter/);
  rejects(header('null'), /must be a JSON object/);
  rejects(header('{"EU":1}'), /replica name "EU" must match/);
  rejects(header('{"-a":1}'), /replica name "-a" must match/);
  rejects(header('{"__proto__":1}'), /replica name "__proto__" must match/);
  rejects(header('{"a":0}'), /counter of a must be a positive safe integer, got 0/);
  rejects(header('{"a":1.5}'), /got 1.5/);
  rejects(header('{"a":"1"}'), /got "1"$/);
  rejects(header('{"a":9007199254740992}'), /positive safe integer/);
  const many = Object.fromEntries(Array.from({ length: MAX_REPLICAS + 1 }, (_, i) => [`r${i}`, 1]));
  rejects(header(JSON.stringify(many)), /names 33 replicas, more than the 32 allowed/);
  rejects(`c1.${'A'.repeat(MAX_CONTEXT_CHARS)}`, /more than the 4096 allowed/);
  rejects(header('{"b":1,"a":1}'), /not in the form Meridian issues/);
  rejects(header('{ "a":1}'), /not in the form Meridian issues/);
  rejects(header('{"a":1,"a":2}'), /not in the form Meridian issues/);
  rejects(header('{"a":1e0}'), /not in the form Meridian issues/);
  assert.throws(() => decodeContext(7 as unknown as string), /expected a string, got number/);
});

test('any string either decodes to a valid context or is refused with a 400, never anything else', () => {
  const arbHeader = fc.oneof(
    fc.string(),
    fc
      .string({
        unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
      })
      .map((s) => `c1.${s}`),
    fc.json().map(header),
    fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string())).map((o) => header(JSON.stringify(o))),
  );
  fc.assert(
    fc.property(arbHeader, (text) => {
      let context: Context;
      try {
        context = decodeContext(text);
      } catch (err) {
        assert.ok(isMeridianError(err) && err.code === 'bad_request', String(err));
        return;
      }
      assert.equal(encodeContext(context), text);
    }),
  );
});

test('contexts passed in code are checked too, and come back with sorted keys', () => {
  assert.deepEqual(Object.keys(parseContext({ b: 1, a: 2 }, 'context')), ['a', 'b']);
  assert.throws(() => encodeContext({ 'Not Valid': 1 }), /context replica name "Not Valid" must match/);
  assert.throws(() => encodeContext({ a: -1 }), /counter of a must be a positive safe integer, got -1/);
});
