import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameError, FrameReader, HEADER_BYTES, deriveStreamKey, encodeFrame } from './replication-frame.ts';

const key = deriveStreamKey('cluster-secret', 'us-east-1', 'eu-west-1', 'nonce-1');

function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    out.push(bytes.subarray(start, p));
    start = p;
  }
  out.push(bytes.subarray(start));
  return out;
}

function rejection(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FrameError, String(err));
    return err.reason;
  }
  assert.fail('expected a FrameError');
}

describe('replication frames', () => {
  it('round-trip any JSON values in any chunking, compressed or not (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue(), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        (values, cuts, compress) => {
          const wire = Buffer.concat(values.map((v, i) => encodeFrame(key, i, v, compress).bytes));
          const reader = new FrameReader(key);
          const out = chunked(wire, cuts).flatMap((c) => reader.push(c));
          reader.end();
          assert.deepEqual(out, JSON.parse(JSON.stringify(values)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('compresses a batch of similar records and reports the raw size', () => {
    const batch = Array.from({ length: 100 }, (_, i) => ({
      collection: 'profiles',
      key: `user-${i}`,
      value: { name: `User ${i}`, plan: 'pro' },
    }));
    const frame = encodeFrame(key, 0, batch);
    assert.ok(frame.bytes.length < frame.rawBytes * 0.3, `${frame.bytes.length} vs raw ${frame.rawBytes}`);
  });

  it('rejects any flipped byte (property)', () => {
    const frame = encodeFrame(key, 0, { entries: [{ key: 'a', value: { n: 1 } }] }).bytes;
    fc.assert(
      fc.property(fc.nat({ max: frame.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const forged = Buffer.from(frame);
        forged[at] = forged[at]! ^ mask;
        const reader = new FrameReader(key);
        // A corrupted length may leave the reader waiting for bytes that never come: end() calls it truncated.
        const reason = rejection(() => {
          reader.push(forged);
          reader.end();
        });
        assert.ok(['bad_mac', 'bad_version', 'too_large', 'truncated'].includes(reason), reason);
      }),
    );
  });

  it('rejects a frame under another key, a replayed frame and a reordered one', () => {
    const other = deriveStreamKey('cluster-secret', 'us-east-1', 'eu-west-1', 'nonce-2');
    assert.equal(
      rejection(() => new FrameReader(other).push(encodeFrame(key, 0, { a: 1 }).bytes)),
      'bad_mac',
    );
    const first = encodeFrame(key, 0, { a: 1 }).bytes;
    const replay = new FrameReader(key);
    replay.push(first);
    assert.equal(
      rejection(() => replay.push(first)),
      'out_of_sequence',
    );
    assert.equal(
      rejection(() => new FrameReader(key).push(encodeFrame(key, 1, { a: 1 }).bytes)),
      'out_of_sequence',
    );
  });

  it('a stream cut inside a frame is a truncation, and a failed reader stays failed', () => {
    const frame = encodeFrame(key, 0, { a: 'x'.repeat(1000) }).bytes;
    const reader = new FrameReader(key);
    assert.deepEqual(reader.push(frame.subarray(0, HEADER_BYTES + 5)), []);
    assert.equal(
      rejection(() => reader.end()),
      'truncated',
    );
    assert.equal(
      rejection(() => reader.push(frame)),
      'truncated',
    );
  });
});
