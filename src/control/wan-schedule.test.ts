// Properties of the delivery-time arithmetic: never early, never reordered, never faster than the wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IDLE_WIRE, scheduleChunk } from './wan-schedule.ts';
import type { LinkShape, WireState } from './wan-schedule.ts';

const shape = (oneWayMs: number, jitterMs = 0, bandwidthBytesPerSec?: number): LinkShape => ({
  oneWayMs,
  jitterMs,
  bandwidthBytesPerSec,
});

test('a chunk on an idle unlimited wire arrives one way later', () => {
  const { deliverAt } = scheduleChunk(IDLE_WIRE, 1000, 500, shape(70), () => 0.5);
  assert.equal(deliverAt, 1070);
});

test('jitter adds random() · jitterMs', () => {
  const { deliverAt } = scheduleChunk(IDLE_WIRE, 0, 1, shape(10, 20), () => 0.25);
  assert.equal(deliverAt, 15);
});

test('a chunk never overtakes the one before it', () => {
  const first = scheduleChunk(IDLE_WIRE, 0, 1, shape(10, 100), () => 0.99);
  const second = scheduleChunk(first.wire, 1, 1, shape(10, 100), () => 0);
  assert.equal(second.deliverAt, first.deliverAt);
});

test('bandwidth serialises chunks back to back', () => {
  const bw = shape(0, 0, 1000); // 1 byte per ms
  const first = scheduleChunk(IDLE_WIRE, 0, 100, bw, () => 0);
  const second = scheduleChunk(first.wire, 0, 100, bw, () => 0);
  assert.equal(first.deliverAt, 100);
  assert.equal(second.deliverAt, 200);
  const later = scheduleChunk(second.wire, 500, 100, bw, () => 0);
  assert.equal(later.deliverAt, 600);
});

const chunks = fc.array(
  fc.record({ gapMs: fc.double({ min: 0, max: 50, noNaN: true }), bytes: fc.nat(70_000) }),
  {
    maxLength: 200,
  },
);
const shapes = fc.record({
  oneWayMs: fc.double({ min: 0, max: 200, noNaN: true }),
  jitterMs: fc.double({ min: 0, max: 100, noNaN: true }),
  bandwidthBytesPerSec: fc.option(fc.integer({ min: 1, max: 100_000_000 }), { nil: undefined }),
});

test('deliveries are in order, never before arrival + one way, and within the bandwidth', () => {
  fc.assert(
    fc.property(
      chunks,
      shapes,
      fc.infiniteStream(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })),
      (list, s, rs) => {
        const randoms = rs[Symbol.iterator]();
        const random = (): number => randoms.next().value as number;
        let wire: WireState = IDLE_WIRE;
        let now = 0;
        let previous = -Infinity;
        let bytes = 0;
        for (const chunk of list) {
          now += chunk.gapMs;
          const scheduled = scheduleChunk(wire, now, chunk.bytes, s, random);
          assert.ok(scheduled.deliverAt >= previous, 'reordered');
          assert.ok(scheduled.deliverAt >= now + s.oneWayMs, 'early');
          if (s.bandwidthBytesPerSec !== undefined) {
            bytes += chunk.bytes;
            const wireMs = (bytes * 1000) / s.bandwidthBytesPerSec;
            assert.ok(scheduled.deliverAt + 1e-6 >= wireMs + s.oneWayMs, 'faster than the wire');
          }
          previous = scheduled.deliverAt;
          wire = scheduled.wire;
        }
      },
    ),
  );
});
