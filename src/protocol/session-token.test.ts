import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createSessionTokens } from './session-token.ts';

const tokens = createSessionTokens('a-cluster-secret-of-16+');
const vectorArb = fc.dictionary(
  fc.constantFrom('us-east-1', 'eu-west-1', 'ap-northeast-1', 'sa-east-1'),
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
);

describe('session tokens', () => {
  it('round-trip any position vector, and a region of another deployment cannot read them', () => {
    const other = createSessionTokens('another-deployment-secret');
    fc.assert(
      fc.property(vectorArb, (vector) => {
        const token = tokens.issue(vector);
        assert.deepEqual(tokens.read(token), { ...vector });
        assert.throws(() => other.read(token), { code: 'invalid_session_token' });
      }),
    );
  });

  it('merge the tokens of several writes by maximum, in any order', () => {
    fc.assert(
      fc.property(fc.array(vectorArb, { minLength: 1, maxLength: 5 }), (vectors) => {
        const header = vectors.map((v) => tokens.issue(v)).join(', ');
        const merged = tokens.read(header);
        for (const v of vectors) for (const [r, s] of Object.entries(v)) assert.ok(merged[r]! >= s);
        assert.deepEqual(tokens.read([...vectors].reverse().map((v) => tokens.issue(v))), merged);
      }),
    );
  });

  it('reject any single changed character, naming the problem', () => {
    const token = tokens.issue({ 'us-east-1': 42, 'eu-west-1': 7 });
    fc.assert(
      fc.property(fc.nat(token.length - 1), fc.string({ minLength: 1, maxLength: 1 }), (i, c) => {
        const altered = token.slice(0, i) + c + token.slice(i + 1);
        if (altered === token) return;
        // base64url decoding ignores some trailing bits: an alteration that decodes the same is the same token.
        let read;
        try {
          read = tokens.read(altered);
        } catch (err) {
          assert.equal((err as { code?: string }).code, 'invalid_session_token');
          return;
        }
        assert.deepEqual(read, { 'us-east-1': 42, 'eu-west-1': 7 });
      }),
    );
    assert.throws(() => tokens.read('garbage'), /m1\.<payload>\.<mac>/);
    const forged = `m1.${Buffer.from('{"us-east-1":999}').toString('base64url')}.${token.split('.')[2]}`;
    assert.throws(() => tokens.read(forged), /bad signature/);
  });

  it('an absent or empty header is an empty session', () => {
    assert.deepEqual(tokens.read(undefined), {});
    assert.deepEqual(tokens.read(''), {});
  });
});
