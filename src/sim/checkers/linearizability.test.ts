import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Consistency, HistoryOp } from './history.ts';
import { checkLinearizability, checkLinearizable } from './linearizability.ts';
import { read, write } from './test-histories.ts';

const violationsNaming = (history: readonly HistoryOp[], needle: string) =>
  checkLinearizable(history).filter((v) => v.includes(needle));

test('an empty history and a sequential write-then-read are linearizable', () => {
  assert.deepEqual(checkLinearizable([]), []);
  assert.deepEqual(checkLinearizable([read(1, null, 0, 1), write(2, 'w2', 2, 3), read(3, 'w2', 4, 5)]), []);
});

test('a stale strong read after a completed write is a violation naming the read, writer and overwrite', () => {
  const history = [write(1, 'w1', 0, 1), write(2, 'w2', 2, 3), read(3, 'w1', 4, 5, { session: 's2' })];
  const violations = checkLinearizable(history);
  assert.equal(violations.length, 1);
  assert.match(
    violations[0]!,
    /key 'k', session s2: strong read #3 returned a stale value\. Read: #3 s2 strong read/,
  );
  assert.match(violations[0]!, /writer: #1 s1 strong write 'k' := 'w1' \[0\.\.1\]; overwritten by #2 s1/);
});

test('a stale read of null (no delete in between) is found by the search, naming the shortest failing prefix', () => {
  const history = [write(1, 'w1', 0, 1), write(2, 'w2', 2, 3), read(3, null, 4, 5, { session: 's2' })];
  const violations = checkLinearizable(history);
  assert.equal(violations.length, 1);
  assert.match(violations[0]!, /key 'k' is not linearizable/);
  assert.match(violations[0]!, /ends when #3 s2 strong read 'k' -> null/);
  assert.match(violations[0]!, /#2 s1 strong write 'k' := 'w2'/);
});

test('a read of a value never written, or written by a failed write or to another key, is reported plainly', () => {
  assert.match(checkLinearizable([read(1, 'ghost', 0, 1)])[0]!, /#1 returned a value no write ever wrote/);
  const failed = [write(1, 'w1', 0, 1, { outcome: 'failed' }), read(2, 'w1', 2, 3)];
  assert.match(checkLinearizable(failed)[0]!, /#2 returned the value of a write that failed\. .* writer: #1/);
  const otherKey = [write(1, 'w1', 0, 1, { key: 'j' }), read(2, 'w1', 2, 3)];
  assert.match(checkLinearizable(otherKey)[0]!, /#2 returned a value written to another key\. .* writer: #1/);
  const future = [read(1, 'w2', 0, 1), write(2, 'w2', 2, 3)];
  assert.match(checkLinearizable(future)[0]!, /#1 returned a value before it was written\. .* writer: #2/);
});

test('concurrent writes may take effect in either order, but only one order per history', () => {
  const writes = [write(1, 'w1', 0, 10), write(2, 'w2', 0, 10, { session: 's2' })];
  assert.deepEqual(checkLinearizable([...writes, read(3, 'w1', 11, 12)]), []);
  assert.deepEqual(checkLinearizable([...writes, read(3, 'w2', 11, 12)]), []);
  // Reads during the writes may see both orders' intermediate states...
  assert.deepEqual(
    checkLinearizable([...writes, read(3, 'w1', 2, 3), read(4, 'w2', 4, 5), read(5, 'w2', 11, 12)]),
    [],
  );
  // ...but once both are done the register cannot change again.
  assert.equal(checkLinearizable([...writes, read(3, 'w1', 11, 12), read(4, 'w2', 13, 14)]).length, 1);
});

test('ops that touch in time (one completes as the other starts) count as concurrent', () => {
  assert.deepEqual(checkLinearizable([write(1, 'w1', 0, 5), read(2, null, 5, 6)]), []);
  assert.equal(checkLinearizable([write(1, 'w1', 0, 5), read(2, null, 6, 7)]).length, 1);
});

test('an unknown-outcome write may take effect any time after its call, or never', () => {
  const unknown = write(1, 'w1', 10, undefined);
  assert.deepEqual(checkLinearizable([unknown, read(2, null, 20, 21), read(3, null, 30, 31)]), []);
  assert.deepEqual(checkLinearizable([unknown, read(2, null, 20, 21), read(3, 'w1', 1000, 1001)]), []);
  // It takes effect once: seen, then gone without a delete, is not linearizable.
  assert.equal(checkLinearizable([unknown, read(2, 'w1', 20, 21), read(3, null, 30, 31)]).length, 1);
  // It cannot take effect before it was invoked.
  assert.equal(checkLinearizable([read(0, 'w1', 0, 5), unknown]).length, 1);
  // An unknown delete is optional too, and may explain a later null.
  const del = write(4, null, 40, undefined);
  assert.deepEqual(
    checkLinearizable([write(3, 'w3', 0, 1), del, read(5, 'w3', 41, 42), read(6, null, 50, 51)]),
    [],
  );
});

test('failed writes never take effect', () => {
  const history = [write(1, 'w1', 0, 1), write(2, null, 2, 3, { outcome: 'failed' }), read(3, null, 4, 5)];
  assert.equal(checkLinearizable(history).length, 1);
  assert.deepEqual(checkLinearizable([...history.slice(0, 2), read(3, 'w1', 4, 5)]), []);
});

test('the classic new-old inversion: a read sees the new value, a later read the old one', () => {
  const history = [
    write(1, 'w1', 0, 1),
    write(2, 'w2', 2, 20, { session: 's2' }),
    read(3, 'w2', 3, 4, { session: 's3' }),
    read(4, 'w1', 5, 6, { session: 's4' }),
    read(5, 'w2', 21, 22, { session: 's3' }),
  ];
  const violations = checkLinearizable(history);
  assert.equal(violations.length, 1);
  assert.match(violations[0]!, /session s4: strong read #4 returned a stale value/);
  assert.match(
    violations[0]!,
    /overwritten by #2 .*, and #3 s3 strong read 'k' -> 'w2' \[3\.\.4\] returned its value/,
  );
  // Each read alone is fine.
  assert.deepEqual(checkLinearizable(history.filter((o) => o.id !== 3)), []);
  assert.deepEqual(checkLinearizable(history.filter((o) => o.id !== 4)), []);
});

test('an inversion between concurrent writes needs the search, which names the shortest failing prefix', () => {
  const history = [
    write(1, 'w1', 0, 10),
    write(2, 'w2', 0, 10, { session: 's2' }),
    read(3, 'w1', 1, 2, { session: 's3' }),
    read(4, 'w2', 3, 4, { session: 's3' }),
    read(5, 'w1', 5, 6, { session: 's4' }),
    read(6, 'w1', 11, 12, { session: 's4' }),
  ];
  const violations = checkLinearizable(history);
  assert.equal(violations.length, 1);
  assert.match(
    violations[0]!,
    /shortest failing prefix \(5 ops\) ends when #5 s4 strong read 'k' -> 'w1' \[5\.\.6\]/,
  );
  for (const id of ['#1 ', '#2 ', '#3 ', '#4 ']) assert.ok(violations[0]!.includes(id), id);
  assert.ok(!violations[0]!.includes('#6 '));
  assert.deepEqual(checkLinearizable(history.filter((o) => o.id < 5)), []);
});

test('only strong reads are checked, failed reads are ignored, and each key is its own register', () => {
  const history = [
    write(1, 'w1', 0, 1, { consistency: 'eventual' }),
    write(2, 'w2', 2, 3, { consistency: 'session' }),
    read(3, 'w1', 4, 5, { consistency: 'eventual' }),
    read(4, 'w1', 4, 5, { consistency: 'bounded' }),
    read(5, 'junk', 4, 5, { outcome: 'failed' }),
    read(6, 'w2', 6, 7),
    write(7, 'j7', 0, 1, { key: 'j' }),
    read(8, 'j7', 8, 9, { key: 'j' }),
  ];
  assert.deepEqual(checkLinearizable(history), []);
  const bad = [...history, read(9, null, 10, 11, { key: 'j', session: 's9' })];
  assert.equal(violationsNaming(bad, "key 'j'").length, 1);
  assert.equal(checkLinearizable(bad).length, 1);
});

test('the failure message points at the shortest failing prefix, not the end of a long history', () => {
  const history: HistoryOp[] = [
    write(1, 'w1', 0, 1),
    write(2, 'w2', 2, 3),
    read(3, null, 4, 5, { session: 's2' }),
  ];
  for (let i = 0; i < 100; i++) history.push(read(4 + i, 'w2', 10 + 2 * i, 11 + 2 * i));
  const [violation] = checkLinearizable(history);
  assert.match(violation!, /ends when #3 s2/);
});

test('a search over budget is reported as undecided, not as a violation', () => {
  const history = [
    write(1, 'w1', 0, 10),
    write(2, 'w2', 0, 10),
    read(3, 'w2', 11, 12),
    read(4, 'w1', 13, 14),
  ];
  const report = checkLinearizability(history, { maxSteps: 1 });
  assert.deepEqual(report.violations, []);
  assert.deepEqual(report.undecided, [{ key: 'k', steps: 1 }]);
  assert.equal(checkLinearizability(history).undecided.length, 0);
});

// ---- Generated histories --------------------------------------------------------------------------------

interface GenOp {
  readonly session: number;
  readonly kind: 'write' | 'read' | 'delete';
  readonly key: number;
  readonly gap: number;
  readonly duration: number;
  /** Where in its interval the op takes effect, 0..1. */
  readonly at: number;
  readonly fate: 'ok' | 'failed' | 'unknown' | 'unknown-never';
  readonly consistency: Consistency;
}

const someConsistency = fc.constantFrom<Consistency>(
  'strong',
  'strong',
  'strong',
  'session',
  'eventual',
  'bounded',
);

const genOp = (keys: number, sessions = 6, maxDuration = 12, consistency = someConsistency) =>
  fc.record({
    session: fc.nat({ max: sessions - 1 }),
    kind: fc.constantFrom('write', 'write', 'read', 'read', 'read', 'delete'),
    key: fc.nat({ max: keys - 1 }),
    gap: fc.nat({ max: 4 }),
    duration: fc.nat({ max: maxDuration }),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    fate: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'failed', 'unknown', 'unknown-never'),
    consistency,
  }) as fc.Arbitrary<GenOp>;

/**
 * A history of a real (atomic) register per key: each op takes effect at one instant inside its interval,
 * in the order of those instants. Sessions are sequential; an unknown-outcome write may take effect
 * after its session gave up on it, or never; non-strong and failed reads return junk the checker ignores.
 */
function registerHistory(gen: readonly GenOp[]): HistoryOp[] {
  const sessionFree = new Map<number, number>();
  const planned = gen.map((g, index) => {
    const invokeAt = (sessionFree.get(g.session) ?? 0) + g.gap;
    const completeAt = invokeAt + g.duration;
    sessionFree.set(g.session, completeAt);
    const isWrite = g.kind !== 'read';
    const fate = isWrite ? g.fate : g.fate === 'failed' ? 'failed' : 'ok';
    const effectAt =
      fate === 'failed' || fate === 'unknown-never'
        ? undefined
        : fate === 'unknown'
          ? invokeAt + g.at * 3 * (g.duration + 1)
          : invokeAt + g.at * g.duration;
    return { g, index, invokeAt, completeAt, fate, effectAt };
  });
  const results = new Map<number, string | null>();
  const register = new Map<number, string | null>();
  const effective = planned.filter((p) => p.effectAt !== undefined);
  effective.sort((a, b) => a.effectAt! - b.effectAt! || a.index - b.index);
  for (const p of effective) {
    if (p.g.kind === 'read') results.set(p.index, register.get(p.g.key) ?? null);
    else register.set(p.g.key, p.g.kind === 'delete' ? null : `w${p.index}`);
  }
  const inOrder = [...planned].sort((a, b) => a.invokeAt - b.invokeAt || a.index - b.index);
  return inOrder.map((p, id): HistoryOp => {
    const { g } = p;
    const base = { id, session: `s${g.session}`, key: `k${g.key}`, invokeAt: p.invokeAt };
    if (g.kind === 'read') {
      const junk = p.fate === 'failed' || g.consistency !== 'strong';
      const value = junk ? 'junk' : results.get(p.index)!;
      const outcome = p.fate === 'failed' ? 'failed' : 'ok';
      return { ...base, kind: 'read', consistency: g.consistency, completeAt: p.completeAt, outcome, value };
    }
    const unknown = p.fate === 'unknown' || p.fate === 'unknown-never';
    return {
      ...base,
      kind: 'write',
      consistency: g.consistency,
      completeAt: unknown ? undefined : p.completeAt,
      outcome: unknown ? 'unknown' : p.fate === 'failed' ? 'failed' : 'ok',
      value: g.kind === 'delete' ? null : `w${p.index}`,
    };
  });
}

const isCheckedRead = (o: HistoryOp) => o.kind === 'read' && o.consistency === 'strong' && o.outcome === 'ok';

test('property: histories of a real register are linearizable', () => {
  fc.assert(
    fc.property(fc.array(genOp(3), { maxLength: 60, size: 'max' }), (gen) => {
      const report = checkLinearizability(registerHistory(gen));
      assert.deepEqual(report.violations, []);
      assert.deepEqual(report.undecided, []);
    }),
    { numRuns: 300 },
  );
});

test('property: changing one strong read to a value never written is caught, naming that read', () => {
  fc.assert(
    fc.property(fc.array(genOp(2), { minLength: 1, maxLength: 60, size: 'max' }), fc.nat(), (gen, pick) => {
      const history = registerHistory(gen);
      const reads = history.filter(isCheckedRead);
      fc.pre(reads.length > 0);
      const victim = reads[pick % reads.length]!;
      const mutated = history.map((o) => (o === victim ? { ...o, value: 'never-written' } : o));
      const violations = checkLinearizable(mutated);
      assert.equal(violations.length, 1);
      assert.match(violations[0]!, new RegExp(`read #${victim.id} returned a value no write ever wrote`));
    }),
    { numRuns: 200 },
  );
});

/**
 * An independent oracle: a memoized search over every real-time-respecting order of the ops (and every
 * subset of the unknown writes), with none of the checker's reductions.
 */
function oracleLinearizable(ops: readonly HistoryOp[]): boolean {
  const byKey = new Map<string, HistoryOp[]>();
  for (const o of ops) byKey.set(o.key, [...(byKey.get(o.key) ?? []), o]);
  return [...byKey.values()].every(oracleRegister);
}

function oracleRegister(ops: readonly HistoryOp[]): boolean {
  const live = ops.filter((o) => (o.kind === 'write' ? o.outcome !== 'failed' : isCheckedRead(o)));
  const end = (o: HistoryOp) =>
    o.outcome === 'unknown' || o.completeAt === undefined ? Infinity : o.completeAt;
  const placed = live.map(() => false);
  const failed = new Set<string>();
  const go = (state: string | null): boolean => {
    const memo = placed.map(Number).join('') + '|' + String(state);
    if (failed.has(memo)) return false;
    const pending = live.filter((_, i) => !placed[i]);
    if (pending.every((o) => end(o) === Infinity && o.kind === 'write')) return true;
    for (const [i, o] of live.entries()) {
      if (placed[i]) continue;
      // o may go next unless some other pending op completed strictly before o was invoked.
      if (pending.some((p) => p !== o && end(p) < o.invokeAt)) continue;
      if (o.kind === 'read' && o.value !== state) continue;
      placed[i] = true;
      const ok = go(o.kind === 'write' ? o.value : state);
      placed[i] = false;
      if (ok) return true;
    }
    failed.add(memo);
    return false;
  };
  return go(null);
}

test('property: agrees with a brute-force search on small random (mostly wrong) histories', () => {
  const smallOp = fc.record({
    isWrite: fc.boolean(),
    invokeAt: fc.nat({ max: 8 }),
    duration: fc.nat({ max: 5 }),
    outcome: fc.constantFrom<HistoryOp['outcome']>('ok', 'ok', 'ok', 'unknown', 'failed'),
    valuePick: fc.nat({ max: 7 }),
  });
  fc.assert(
    fc.property(fc.array(smallOp, { maxLength: 7 }), (small) => {
      const sorted = [...small].sort((a, b) => a.invokeAt - b.invokeAt);
      const values = sorted.map((s, i) => (s.isWrite && s.valuePick > 0 ? `w${i}` : null));
      const history = sorted.map((s, id): HistoryOp => {
        const outcome = s.isWrite ? s.outcome : s.outcome === 'failed' ? 'failed' : 'ok';
        const unknown = outcome === 'unknown';
        const value = s.isWrite ? values[id]! : (values[s.valuePick % values.length] ?? null);
        return {
          id,
          session: `s${id}`,
          kind: s.isWrite ? 'write' : 'read',
          key: 'k',
          consistency: 'strong',
          invokeAt: s.invokeAt,
          completeAt: unknown ? undefined : s.invokeAt + s.duration,
          outcome,
          value,
        };
      });
      assert.equal(checkLinearizable(history).length === 0, oracleLinearizable(history));
    }),
    { numRuns: 2000 },
  );
});

test('property: agrees with the oracle on generated histories with one read switched to another write', () => {
  fc.assert(
    fc.property(
      fc.array(genOp(1), { minLength: 1, maxLength: 24, size: 'max' }),
      fc.nat(),
      fc.nat(),
      (gen, pick, other) => {
        const history = registerHistory(gen);
        const reads = history.filter(isCheckedRead);
        const values = history.filter((o) => o.kind === 'write').map((o) => o.value);
        fc.pre(reads.length > 0);
        const victim = reads[pick % reads.length]!;
        const value = values[other % (values.length + 1)] ?? null;
        const mutated = history.map((o) => (o === victim ? { ...o, value } : o));
        assert.equal(checkLinearizable(mutated).length === 0, oracleLinearizable(mutated));
      },
    ),
    { numRuns: 1000 },
  );
});

/** One hot key: `sessions` clients, each op taking up to `maxDuration`, so that many overlap. */
function hotKeyHistory(opCount: number, sessions: number, maxDuration: number, seed: number): HistoryOp[] {
  const op = genOp(1, sessions, maxDuration, fc.constant<Consistency>('strong'));
  const ops = fc.array(op, { minLength: opCount, maxLength: opCount });
  return registerHistory(fc.sample(ops, { seed, numRuns: 1 })[0]!);
}

test('performance: hundreds of ops on one hot key, with unknown writes, check quickly', () => {
  const cases = [
    { ops: 200, sessions: 8, maxDuration: 12 },
    { ops: 200, sessions: 16, maxDuration: 30 },
    { ops: 200, sessions: 32, maxDuration: 60 },
    { ops: 1000, sessions: 16, maxDuration: 30 },
  ];
  for (const { ops, sessions, maxDuration } of cases) {
    const history = hotKeyHistory(ops, sessions, maxDuration, ops + sessions);
    const started = performance.now();
    const report = checkLinearizability(history);
    const elapsed = performance.now() - started;
    assert.deepEqual(report.violations, []);
    assert.deepEqual(report.undecided, []);
    assert.ok(elapsed < 1500, `${ops} ops took ${elapsed.toFixed(0)} ms`);
    // A stale last read (it returns the first value written) makes a failing search explore everything.
    const lastRead = history.findLast(isCheckedRead)!;
    const firstValue = history.find((o) => o.kind === 'write' && o.value !== null)!.value;
    const stale = history.map((o) => (o === lastRead ? { ...o, value: firstValue } : o));
    const staleStarted = performance.now();
    const staleReport = checkLinearizability(stale);
    const staleElapsed = performance.now() - staleStarted;
    assert.deepEqual(staleReport.undecided, []);
    assert.ok(staleElapsed < 1500, `${ops} ops with a stale read took ${staleElapsed.toFixed(0)} ms`);
    const unknown = history.filter((o) => o.outcome === 'unknown').length;
    const label = `${ops} ops/key, ${sessions} sessions, ops up to ${maxDuration} long (${unknown} unknown)`;
    console.log(
      `  ${label}: ${elapsed.toFixed(1)} ms (${report.steps} steps); with a stale read ` +
        `${staleElapsed.toFixed(1)} ms (${staleReport.steps} steps, ${staleReport.violations.length} violation)`,
    );
  }
});

test('a history that repeats a written value is reported as unusable for that key', () => {
  const history = [write(1, 'w1', 0, 1), write(2, 'w1', 2, 3, { session: 's2' }), read(3, 'w1', 4, 5)];
  const violations = checkLinearizable(history);
  assert.equal(violations.length, 1);
  assert.match(violations[0]!, /written values must be unique, but #1 .* and #2 .* both wrote 'w1'/);
});
