// Properties of the vector policy over random histories: merge is a semilattice, no write is lost or
// resurrected, causally ordered writes never conflict, concurrent ones always do, siblings stay bounded.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { JsonObject } from '../core/json.ts';
import {
  arbOps,
  arbReplicas,
  expectedSiblings,
  mergeAll,
  REPLICA_POOL,
  runHistory,
  siblingBound,
} from './test-support.ts';
import {
  decodeState,
  emptyState,
  isVectorState,
  merge,
  mergeReport,
  read,
  write,
  type Sibling,
  type VectorState,
  type WriteOptions,
} from './vector-state.ts';

const MODES: Array<{ name: string; options: WriteOptions; forged: boolean }> = [
  { name: 'untrusted contexts (default), forged headers included', options: {}, forged: true },
  { name: 'trusted contexts, honest clients', options: { trustContext: true }, forged: false },
];

const same = (a: VectorState, b: VectorState) => assert.equal(JSON.stringify(a), JSON.stringify(b));

/** Three states from one history (so they share dots, as replicas of one key do). */
const arbHistoryTriple = (forged: boolean, options: WriteOptions) =>
  fc.tuple(arbReplicas, arbOps({ forged }), fc.nat(), fc.nat(), fc.nat()).map(([replicas, ops, i, j, k]) => {
    const { snapshots } = runHistory(replicas, ops, options);
    const pick = (n: number) => snapshots[n % Math.max(1, snapshots.length)] ?? emptyState();
    return [pick(i), pick(j), pick(k)] as const;
  });

/** Any valid states over a few dots, values chosen so that one dot can carry different values. */
const arbAnyState: fc.Arbitrary<VectorState> = fc
  .dictionary(fc.constantFrom('a', 'b', 'constructor'), fc.integer({ min: 1, max: 3 }), { maxKeys: 3 })
  .chain((vv) => {
    const dots = Object.entries(vv).flatMap(([r, n]) =>
      Array.from({ length: n }, (_, i) => [r, i + 1] as [string, number]),
    );
    const value = fc.constantFrom<JsonObject | null>(
      null,
      { x: 1 },
      { x: 2 },
      { a: 1, b: 2 },
      { b: 2, a: 1 },
    );
    return fc.subarray(dots).chain((chosen) =>
      fc.tuple(...chosen.map(() => value)).map((values) => ({
        dvv: 1 as const,
        vv,
        siblings: chosen.map((dot, i): Sibling => ({ dot, value: values[i] ?? null })),
      })),
    );
  })
  .map(decodeState);

for (const mode of MODES) {
  test(`merge is commutative, associative and idempotent on history states — ${mode.name}`, () => {
    fc.assert(
      fc.property(arbHistoryTriple(mode.forged, mode.options), ([a, b, c]) => {
        same(merge(a, b), merge(b, a));
        same(merge(merge(a, b), c), merge(a, merge(b, c)));
        same(merge(a, a), a);
        same(merge(a, emptyState()), a);
        same(merge(a, merge(a, b)), merge(a, b)); // absorbing: syncing twice changes nothing
      }),
    );
  });

  test(`every state holds exactly the writes it saw that nothing it saw replaced — ${mode.name}`, () => {
    // Exact equality: no lost write (nothing missing), no false conflict or resurrection (nothing extra).
    fc.assert(
      fc.property(arbReplicas, arbOps({ forged: mode.forged }), (replicas, ops) => {
        const history = runHistory(replicas, ops, mode.options);
        for (const s of history.snapshots) {
          assert.deepEqual(s.siblings, expectedSiblings(history.writes, s.vv, mode.options));
        }
        const all = mergeAll(history.states);
        assert.deepEqual(all.siblings, expectedSiblings(history.writes, all.vv, mode.options));
        // Every write happened somewhere, so the full merge has seen all of them.
        for (const w of history.writes) assert.ok(all.vv[w.dot[0]]! >= w.dot[1]);
        // Replicas converge whatever the order of delivery.
        same(mergeAll([...history.states].reverse()), all);
      }),
    );
  });

  test(`siblings ≤ replicas that wrote + non-fresh writes seen — ${mode.name}`, () => {
    fc.assert(
      fc.property(arbReplicas, arbOps({ forged: mode.forged }), (replicas, ops) => {
        const history = runHistory(replicas, ops, mode.options);
        for (const s of [...history.snapshots, mergeAll(history.states)]) {
          assert.ok(s.siblings.length <= siblingBound(history.writes, s.vv), JSON.stringify(s));
        }
      }),
    );
  });
}

test('with fresh contexts only (read-modify-write per replica), siblings ≤ replicas that wrote', () => {
  const freshOnly = arbOps({ forged: false }).map((ops) =>
    ops.map((op) => (op.kind === 'write' ? { ...op, context: { kind: 'fresh' as const } } : op)),
  );
  fc.assert(
    fc.property(arbReplicas, freshOnly, (replicas, ops) => {
      const history = runHistory(replicas, ops);
      for (const s of [...history.snapshots, mergeAll(history.states)]) {
        const writers = new Set(s.siblings.map((x) => x.dot[0]));
        assert.equal(writers.size, s.siblings.length, 'at most one sibling per replica');
        assert.ok(s.siblings.length <= Object.keys(s.vv).length);
      }
    }),
  );
});

test('merge laws hold for any valid states, even ones disagreeing about a dot', () => {
  fc.assert(
    fc.property(arbAnyState, arbAnyState, arbAnyState, (a, b, c) => {
      same(merge(a, b), merge(b, a));
      same(merge(merge(a, b), c), merge(a, merge(b, c)));
      same(merge(a, a), a);
      assert.ok(isVectorState(merge(a, b)));
    }),
  );
});

test('no false conflict: writes that each carry the previous read leave one sibling, across replicas', () => {
  const step = fc.record({ at: fc.nat({ max: 5 }), remove: fc.boolean(), syncFirst: fc.boolean() });
  for (const trustContext of [false, true]) {
    fc.assert(
      fc.property(arbReplicas, fc.array(step, { minLength: 1, maxLength: 25 }), (replicas, steps) => {
        const states = replicas.map(() => emptyState());
        let previous: VectorState = emptyState();
        for (const [i, s] of steps.entries()) {
          const at = s.at % replicas.length;
          // Untrusted contexts need the writer to have received the version read; trusted ones do not.
          if (!trustContext || s.syncFirst) states[at] = merge(states[at], previous);
          const context = read(previous).context;
          const value = s.remove ? null : { step: i };
          states[at] = write(states[at], context, value, replicas[at]!, { trustContext });
          previous = states[at]!;
          assert.ok(previous.siblings.length === 1);
        }
        const all = mergeAll(states);
        assert.equal(all.siblings.length, 1);
        const last = steps.length - 1;
        assert.deepEqual(all.siblings[0]!.value, steps[last]!.remove ? null : { step: last });
        assert.equal(read(all).deleted, steps[last]!.remove);
      }),
    );
  }
});

test('k replicas writing without seeing each other leave k siblings; a write with the merged context, one', () => {
  fc.assert(
    fc.property(
      arbReplicas,
      arbOps({ forged: false, maxLength: 15 }),
      fc.nat(),
      fc.boolean(),
      (replicas, ops, resolver, remove) => {
        // A random shared past, synced everywhere, then one concurrent write per replica.
        const common = mergeAll(runHistory(replicas, ops).states);
        const written = replicas.map((r, i) => write(common, read(common).context, { from: i }, r));
        const report = mergeReport(written[0], mergeAll(written.slice(1)));
        assert.equal(report.concurrent, true);
        assert.equal(report.ordering, 'concurrent');
        const merged = report.state;
        assert.equal(merged.siblings.length, replicas.length);
        assert.deepEqual(
          read(merged)
            .siblings.map((s) => s.value)
            .sort((x, y) => Number(x['from']) - Number(y['from'])),
          replicas.map((_, i) => ({ from: i })),
        );
        // Resolve at one replica that has received the others' writes.
        const at = resolver % replicas.length;
        const resolved = write(
          merge(written[at], merged),
          read(merged).context,
          remove ? null : { ok: 1 },
          replicas[at]!,
        );
        assert.equal(resolved.siblings.length, 1);
        const everywhere = mergeAll([...written, resolved]);
        assert.equal(everywhere.siblings.length, 1);
        assert.equal(read(everywhere).deleted, remove);
      },
    ),
  );
});

test('states round-trip through JSON and decodeState unchanged', () => {
  fc.assert(
    fc.property(arbReplicas, arbOps({ forged: true }), (replicas, ops) => {
      for (const s of runHistory(replicas, ops).snapshots) {
        const text = JSON.stringify(s);
        const back = decodeState(JSON.parse(text));
        assert.equal(JSON.stringify(back), text);
        assert.ok(isVectorState(JSON.parse(text)));
      }
    }),
  );
});

test('the pool of replica names includes one that shadows Object.prototype', () => {
  assert.ok(REPLICA_POOL.includes('constructor'));
});
