import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatVersion } from '../../core/version.ts';
import type { HistoryOp } from './history.ts';
import { checkSessionGuarantees } from './session-guarantees.ts';
import { read, write } from './test-histories.ts';
import { runReplicatedStore, scriptArbitrary } from './test-replicated-store.ts';

const v = (wall: number, region = 'r1') => formatVersion({ wall, counter: 0 }, region);
const session = { consistency: 'session' } as const;
const w = (id: number, wall: number, at: number, more: Partial<HistoryOp> = {}) =>
  write(id, `w${id}`, at, at + 1, { ...session, version: v(wall), ...more });
const r = (id: number, wall: number | undefined, at: number, more: Partial<HistoryOp> = {}) =>
  read(id, wall === undefined ? null : `w${wall}`, at, at + 1, {
    ...session,
    ...(wall !== undefined && { version: v(wall) }),
    ...more,
  });

test('a session that sees its writes and newer and newer versions has no violations', () => {
  const history = [r(1, undefined, 0), w(2, 10, 2), r(3, 10, 4), r(4, 20, 6), w(5, 30, 8), r(6, 30, 10)];
  assert.deepEqual(checkSessionGuarantees(history), []);
});

test("read-your-writes: a read older than the session's own write, or finding nothing after it", () => {
  const [violation, ...rest] = checkSessionGuarantees([w(1, 10, 0), r(2, 5, 2)]);
  assert.equal(rest.length, 0);
  assert.match(violation!, /read-your-writes violated in session 's1' on key 'k': read #2 returned version/);
  assert.ok(violation!.includes(v(5)) && violation!.includes(v(10)) && violation!.includes('#1 '));
  assert.match(
    checkSessionGuarantees([w(1, 10, 0), r(2, undefined, 2)])[0]!,
    /read #2 returned version none/,
  );
});

test('monotonic reads: a read older than one the session already read', () => {
  const [violation, ...rest] = checkSessionGuarantees([r(1, 20, 0), r(2, 10, 2)]);
  assert.equal(rest.length, 0);
  assert.match(
    violation!,
    /monotonic reads violated in session 's1' on key 'k': read #2 .* read earlier in #1/,
  );
  assert.equal(checkSessionGuarantees([r(1, 20, 0), r(2, undefined, 2)]).length, 1);
  assert.deepEqual(checkSessionGuarantees([r(1, 20, 0), r(2, 20, 2)]), []);
});

test("monotonic writes: the session's writes to a key get increasing versions", () => {
  const [violation, ...rest] = checkSessionGuarantees([w(1, 20, 0), w(2, 10, 2)]);
  assert.equal(rest.length, 0);
  assert.match(
    violation!,
    /monotonic writes violated .*: write #2 got version .* not above the session's earlier write #1/,
  );
  assert.equal(checkSessionGuarantees([w(1, 20, 0), w(2, 20, 2, { version: v(20) })]).length, 1);
  assert.match(checkSessionGuarantees([write(1, 'w1', 0, 1, session)])[0]!, /write #1 has no version/);
});

test('writes-follow-reads: a write after reading version v gets a version above v', () => {
  const [violation, ...rest] = checkSessionGuarantees([r(1, 20, 0), w(2, 10, 2)]);
  assert.equal(rest.length, 0);
  assert.match(violation!, /writes-follow-reads violated .*: write #2 got version .* read earlier in #1/);
  assert.deepEqual(checkSessionGuarantees([r(1, 20, 0), w(2, 21, 2)]), []);
});

test('only ok session ops count, per session and per key, in invocation order', () => {
  const history = [
    w(1, 20, 0),
    r(2, 10, 2, { consistency: 'eventual' }),
    r(3, 10, 4, { outcome: 'failed' }),
    r(4, 10, 6, { session: 's2' }),
    r(5, 10, 8, { key: 'other' }),
    w(6, 5, 10, { outcome: 'failed' }),
    w(7, 5, 12, { consistency: 'strong' }),
  ];
  assert.deepEqual(checkSessionGuarantees(history), []);
  // Listed out of order, the ops are still judged in invocation order.
  assert.equal(checkSessionGuarantees([r(2, 5, 2), w(1, 10, 0)]).length, 1);
});

test('deletes count like writes: a tombstone version is a version', () => {
  const del = write(1, null, 0, 1, { ...session, version: v(10) });
  assert.deepEqual(checkSessionGuarantees([del, read(2, null, 2, 3, { ...session, version: v(10) })]), []);
  assert.equal(checkSessionGuarantees([del, read(2, null, 2, 3, session)]).length, 1);
});

test('property: histories of a correct replicated store keep the session guarantees', () => {
  fc.assert(
    fc.property(scriptArbitrary(), (script) => {
      assert.deepEqual(checkSessionGuarantees(runReplicatedStore(script).history), []);
    }),
    { numRuns: 300 },
  );
});

test('property: a session read that loses what its session saw is caught, naming it', () => {
  fc.assert(
    fc.property(scriptArbitrary(), fc.nat(), (script, pick) => {
      const { history, expect } = runReplicatedStore(script);
      const reads = history.filter((o) => o.kind === 'read' && expect.sessionFloor.has(o.id));
      fc.pre(reads.length > 0);
      const victim = reads[pick % reads.length]!;
      const corrupted = history.map((o) => {
        if (o !== victim) return o;
        const { version: _dropped, ...rest } = o;
        return { ...rest, value: null };
      });
      const violations = checkSessionGuarantees(corrupted);
      assert.ok(
        violations.some((x) => x.includes(`read #${victim.id} `)),
        violations.join('\n'),
      );
    }),
    { numRuns: 300 },
  );
});

test('property: a session write stamped below what its session saw is caught, naming it', () => {
  fc.assert(
    fc.property(scriptArbitrary(), fc.nat(), (script, pick) => {
      const { history, expect } = runReplicatedStore(script);
      const writes = history.filter((o) => o.kind === 'write' && expect.sessionFloor.has(o.id));
      fc.pre(writes.length > 0);
      const victim = writes[pick % writes.length]!;
      const corrupted = history.map((o) => (o === victim ? { ...o, version: v(0, 'r0') } : o));
      const violations = checkSessionGuarantees(corrupted);
      assert.ok(
        violations.some((x) => x.includes(`write #${victim.id} `)),
        violations.join('\n'),
      );
    }),
    { numRuns: 300 },
  );
});
