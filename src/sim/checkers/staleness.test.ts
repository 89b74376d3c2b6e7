import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatVersion } from '../../core/version.ts';
import type { HistoryOp } from './history.ts';
import { checkStaleness } from './staleness.ts';
import { read, write } from './test-histories.ts';
import { runReplicatedStore, scriptArbitrary } from './test-replicated-store.ts';

const v = (wall: number, region = 'r1', counter = 0) => formatVersion({ wall, counter }, region);
const w = (id: number, wall: number, more: Partial<HistoryOp> = {}) =>
  write(id, `w${id}`, wall, wall + 1, { consistency: 'eventual', version: v(wall), ...more });
/** A bounded read served at `servedAtMs` with bound `maxStalenessMs`, returning version `wall` (or nothing). */
const bounded = (id: number, wall: number | undefined, servedAtMs: number, maxStalenessMs: number) =>
  read(id, wall === undefined ? null : `w${wall}`, servedAtMs, servedAtMs + 1, {
    consistency: 'bounded',
    session: 's2',
    servedAtMs,
    maxStalenessMs,
    ...(wall !== undefined && { version: v(wall) }),
  });

test('a bounded read reflecting every write stamped before its horizon is fine', () => {
  // Horizon 1000 - 100 = 900: the write at 850 must be reflected, the one at 950 need not be.
  const writes = [w(1, 800), w(2, 850), w(3, 950)];
  assert.deepEqual(checkStaleness([...writes, bounded(4, 850, 1000, 100)]), []);
  assert.deepEqual(checkStaleness([...writes, bounded(4, 950, 1000, 100)]), []);
  // A write stamped exactly at the horizon is not yet due.
  assert.deepEqual(checkStaleness([w(1, 900), bounded(2, undefined, 1000, 100)]), []);
});

test('a bounded read older than a write stamped before its horizon is a violation naming both', () => {
  const [violation, ...rest] = checkStaleness([w(1, 800), w(2, 850), bounded(3, 800, 1000, 100)]);
  assert.equal(rest.length, 0);
  assert.match(violation!, /read #3 \(session 's2', key 'k', maxStalenessMs 100, servedAtMs 1000\)/);
  assert.match(violation!, /older than write #2 \(version 000000000352 ?0000@r1, stamped before 900\)/);
  assert.match(checkStaleness([w(1, 800), bounded(2, undefined, 1000, 100)])[0]!, /returned version none/);
});

test('a write stamped below the horizon counts even when issued after the read (closed timestamps)', () => {
  const late = write(2, 'w2', 2000, 2001, { version: v(850, 'r0') });
  assert.match(
    checkStaleness([bounded(1, undefined, 1000, 100), late])[0]!,
    /read #1 .* older than write #2 /,
  );
});

test('the required version is the newest in last-write-wins order, not the latest stamped', () => {
  // Same wall time, different regions: r2 wins over r1.
  const a = w(1, 800, { version: v(800, 'r2') });
  const b = w(2, 800, { version: v(800, 'r1') });
  const readOf = (version: string) => ({ ...bounded(3, 800, 1000, 100), version });
  assert.deepEqual(checkStaleness([a, b, readOf(v(800, 'r2'))]), []);
  assert.match(checkStaleness([a, b, readOf(v(800, 'r1'))])[0]!, /older than write #1 /);
});

test('only ok writes and ok bounded reads of the same key count', () => {
  const history = [
    w(1, 800, { outcome: 'failed' }),
    w(2, 800, { outcome: 'unknown', completeAt: undefined }),
    w(3, 800, { key: 'other' }),
    { ...bounded(4, undefined, 1000, 100), consistency: 'eventual' as const },
    { ...bounded(5, undefined, 1000, 100), outcome: 'failed' as const },
    bounded(6, undefined, 1000, 100),
  ];
  assert.deepEqual(checkStaleness(history), []);
});

test('bounded reads missing servedAtMs or maxStalenessMs, and acked writes without a version, are reported', () => {
  const { servedAtMs: _s, ...noServedAt } = bounded(1, undefined, 1000, 100);
  const { maxStalenessMs: _m, servedAtMs: _s2, ...neither } = bounded(2, undefined, 1000, 100);
  const violations = checkStaleness([
    noServedAt,
    neither,
    write(3, 'w3', 0, 1),
    w(4, 5, { version: 'bogus' }),
  ]);
  assert.equal(violations.length, 4);
  assert.match(violations.join('\n'), /read #1 .* is missing servedAtMs:/);
  assert.match(violations.join('\n'), /read #2 .* is missing servedAtMs and maxStalenessMs/);
  assert.match(violations.join('\n'), /write #3 has no readable version/);
  assert.match(violations.join('\n'), /write #4 has no readable version/);
});

test('property: histories of a correct replicated store respect bounded staleness', () => {
  fc.assert(
    fc.property(scriptArbitrary(), (script) => {
      assert.deepEqual(checkStaleness(runReplicatedStore(script).history), []);
    }),
    { numRuns: 300 },
  );
});

test('property: a bounded read that misses a write stamped before its horizon is caught, naming it', () => {
  fc.assert(
    fc.property(scriptArbitrary(), fc.nat(), fc.boolean(), (script, pick, toNothing) => {
      const { history, expect } = runReplicatedStore(script);
      const reads = history.filter((o) => expect.boundedFloor.has(o.id));
      fc.pre(reads.length > 0);
      const victim = reads[pick % reads.length]!;
      // Either nothing at all, or a version just below the one it had to reflect.
      const floor = expect.boundedFloor.get(victim.id)!;
      const corrupted = history.map((o) => {
        if (o !== victim) return o;
        const { version: _dropped, ...rest } = o;
        return toNothing ? { ...rest, value: null } : { ...rest, version: floor.replace(/@.*/, '@a') };
      });
      const violations = checkStaleness(corrupted);
      assert.ok(
        violations.some((x) => x.includes(`read #${victim.id} `)),
        violations.join('\n'),
      );
    }),
    { numRuns: 300 },
  );
});
