import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compareHlc } from '../core/hlc.ts';
import { compareVersions, formatVersion, parseVersion } from '../core/version.ts';
import { createRegionClock } from './region-clock.ts';

const T0 = 1_750_000_000_000;

test('tick follows physical time and never goes backwards when physical time does', () => {
  let now = T0;
  const clock = createRegionClock({ region: 'us-east-1', now: () => now, maxOffsetMs: 500 });
  const a = clock.tick();
  now -= 10_000;
  const b = clock.tick();
  now += 20_000;
  const c = clock.tick();
  assert.ok(compareVersions(a, b) < 0 && compareVersions(b, c) < 0);
  assert.equal(parseVersion(a)?.clock.wall, T0);
  assert.deepEqual(parseVersion(b)?.clock, { wall: T0, counter: 1 });
  assert.deepEqual(parseVersion(c)?.clock, { wall: T0 + 10_000, counter: 0 });
});

test('a fractional physical time still gives well-formed versions in whole milliseconds', () => {
  const clock = createRegionClock({ region: 'us-east-1', now: () => T0 + 0.75, maxOffsetMs: 0 });
  const version = clock.tick();
  assert.deepEqual(parseVersion(version)?.clock, { wall: T0, counter: 0 });
  assert.deepEqual(clock.receive(formatVersion({ wall: T0, counter: 4 }, 'eu-west-1')), { ok: true });
  assert.deepEqual(clock.current(), { wall: T0, counter: 5 });
});

test('receive merges a remote version within the max offset, so the next tick is above it', () => {
  const clock = createRegionClock({ region: 'us-east-1', now: () => T0, maxOffsetMs: 500 });
  const remote = formatVersion({ wall: T0 + 400, counter: 3 }, 'eu-west-1');
  assert.deepEqual(clock.receive(remote), { ok: true });
  const next = clock.tick();
  assert.ok(compareVersions(next, remote) > 0);
  assert.deepEqual(parseVersion(next)?.clock, { wall: T0 + 400, counter: 5 });
});

test('a version more than the max offset ahead is refused and leaves the clock alone', () => {
  const clock = createRegionClock({ region: 'us-east-1', now: () => T0, maxOffsetMs: 500 });
  const before = clock.current();
  assert.deepEqual(clock.receive(formatVersion({ wall: T0 + 501, counter: 0 }, 'eu-west-1')), {
    ok: false,
    reason: 'ahead',
    offsetMs: 501,
  });
  assert.deepEqual(clock.receive('garbage'), { ok: false, reason: 'malformed' });
  assert.deepEqual(clock.current(), before);
  assert.equal(parseVersion(clock.tick())?.clock.wall, T0);
});

test('resumes after `since` even when physical time is earlier (a restart with a clock set back)', () => {
  const since = formatVersion({ wall: T0 + 60_000, counter: 9 }, 'us-east-1');
  const clock = createRegionClock({ region: 'us-east-1', now: () => T0, maxOffsetMs: 500, since });
  assert.ok(compareVersions(clock.tick(), since) > 0);
  assert.throws(() => createRegionClock({ region: 'x', now: () => T0, maxOffsetMs: 500, since: 'bad' }));
  assert.throws(() => createRegionClock({ region: 'x', now: () => T0, maxOffsetMs: -1 }), /max clock offset/);
});

type Step =
  | { readonly kind: 'tick' }
  | { readonly kind: 'jump'; readonly ms: number }
  | { readonly kind: 'receive'; readonly aheadMs: number; readonly counter: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ kind: 'tick' as const }),
  fc.record({ kind: fc.constant('jump' as const), ms: fc.integer({ min: -3000, max: 3000 }) }),
  fc.record({
    kind: fc.constant('receive' as const),
    aheadMs: fc.integer({ min: -3000, max: 1500 }),
    counter: fc.integer({ min: 0, max: 0xffff }),
  }),
);

test('property: under any skew and jumps, local versions strictly increase and exceed every accepted version', () => {
  fc.assert(
    fc.property(
      fc.array(step, { maxLength: 200 }),
      fc.integer({ min: 0, max: 1000 }),
      (steps, maxOffsetMs) => {
        let physical = T0;
        const clock = createRegionClock({ region: 'us-east-1', now: () => physical, maxOffsetMs });
        let highest: string | undefined;
        let lastTick: string | undefined;
        for (const s of steps) {
          if (s.kind === 'jump') physical += s.ms;
          else if (s.kind === 'tick') {
            const version = clock.tick();
            if (lastTick !== undefined) assert.ok(compareVersions(version, lastTick) > 0, 'ticks increase');
            if (highest !== undefined)
              assert.ok(compareVersions(version, highest) > 0, 'above every accepted');
            lastTick = highest = version;
          } else {
            const before = clock.current();
            const remote = formatVersion({ wall: physical + s.aheadMs, counter: s.counter }, 'eu-west-1');
            const receipt = clock.receive(remote);
            assert.equal(receipt.ok, s.aheadMs <= maxOffsetMs);
            if (receipt.ok) {
              assert.ok(
                compareHlc(clock.current(), parseVersion(remote)!.clock) > 0,
                'clock passes the remote',
              );
              if (highest === undefined || compareVersions(remote, highest) > 0) highest = remote;
            } else assert.deepEqual(clock.current(), before, 'a refusal changes nothing');
            assert.ok(compareHlc(clock.current(), before) >= 0, 'never backwards');
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('adopt moves the clock up to a version it reached before, and never down', () => {
  const clock = createRegionClock({ region: 'r1', now: () => 1000, maxOffsetMs: 10 });
  clock.adopt(formatVersion({ wall: 5000, counter: 3 }, 'r1'));
  assert.deepEqual(clock.current(), { wall: 5000, counter: 3 });
  clock.adopt(formatVersion({ wall: 2000, counter: 0 }, 'r1'));
  clock.adopt('not a version');
  assert.equal(clock.version(), formatVersion({ wall: 5000, counter: 3 }, 'r1'));
  assert.equal(clock.tick(), formatVersion({ wall: 5000, counter: 4 }, 'r1'));
});
