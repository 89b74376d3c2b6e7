// Properties of merge: a join (commutative, associative, idempotent) on states made by random histories,
// convergence whatever the delivery order, and linear cost on large sets.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  applyOps,
  emptyDocument,
  expiresAt,
  materialize,
  merge,
  type CrdtDocument,
  type Op,
} from './index.ts';
import {
  NOW,
  REPLICAS,
  arbBatch,
  arbHistory,
  mergeAll,
  runHistory,
  stateText,
  tryApply,
  version,
} from './test-support.ts';

/** Three states from one random history (final replica states or shipped updates), chosen by index. */
const arbThreeStates = fc.tuple(arbHistory, fc.nat(), fc.nat(), fc.nat()).map(([events, i, j, k]) => {
  const { replicas, updates } = runHistory(events);
  const pool = [...replicas, ...updates];
  return [pool[i % pool.length]!, pool[j % pool.length]!, pool[k % pool.length]!] as const;
});

function joinLaws(a: CrdtDocument, b: CrdtDocument, c: CrdtDocument): void {
  assert.equal(stateText(merge(a, b)), stateText(merge(b, a)), 'commutative');
  assert.equal(stateText(merge(merge(a, b), c)), stateText(merge(a, merge(b, c))), 'associative');
  assert.equal(stateText(merge(a, a)), stateText(a), 'idempotent');
  assert.equal(stateText(merge(a, merge(a, b))), stateText(merge(a, b)), 'absorbs what it already has');
}

describe('merge', () => {
  it('is commutative, associative and idempotent on states of one history (property)', () => {
    fc.assert(
      fc.property(arbThreeStates, ([a, b, c]) => joinLaws(a, b, c)),
      { numRuns: 300 },
    );
  });

  it('is a join even across unrelated histories that reuse dots (property)', () => {
    // Not a situation replication produces (a replica never forgets its state), but the laws must hold
    // for every state decode accepts, or a corrupted peer could make regions diverge.
    const arbFinal = arbHistory.map((events) => mergeAll(runHistory(events).replicas));
    fc.assert(
      fc.property(arbFinal, arbFinal, arbFinal, (a, b, c) => joinLaws(a, b, c)),
      { numRuns: 150 },
    );
  });

  it('stays a join when a replica reused a dot for different writes (lost its state)', () => {
    const ctx = { replica: 'us-east-1', timestamp: version(1, 'us-east-1') };
    const writes: Op[][] = [
      [{ op: 'set', path: ['r'], value: 'first' }],
      [{ op: 'set', path: ['r'], value: { other: true } }],
      [{ op: 'add', path: ['r'], value: 'x' }],
      [{ op: 'increment', path: ['r'], by: 2 }],
      [{ op: 'expire', path: [], at: 5 }],
      [{ op: 'expire', path: [], at: 7 }],
    ];
    const states = writes.map((ops) => applyOps(emptyDocument(), ops, ctx));
    for (const a of states) for (const b of states) for (const c of states) joinLaws(a, b, c);
    assert.deepEqual(materialize(merge(states[0]!, states[1]!)), { r: { other: true } });
    assert.equal(expiresAt(merge(states[4]!, states[5]!)), 7);
  });

  it('converges: replicas gossiping after any history show the same document (property)', () => {
    fc.assert(
      fc.property(arbHistory, (events) => {
        const { replicas } = runHistory(events);
        // One round of full gossip: each replica merges every other's state.
        const all = mergeAll(replicas);
        const after = replicas.map((s) => replicas.reduce((acc, other) => merge(acc, other), s));
        for (const s of after) {
          assert.equal(stateText(s), stateText(all));
          assert.deepEqual(materialize(s, NOW), materialize(all, NOW));
          assert.deepEqual(materialize(s), materialize(all));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('converges whatever order and grouping the shipped updates arrive in (property)', () => {
    fc.assert(
      fc.property(
        arbHistory,
        fc.array(fc.nat(), { minLength: 2, maxLength: 60 }),
        fc.array(fc.nat(), { minLength: 2, maxLength: 60 }),
        (events, orderA, orderB) => {
          const { replicas, updates } = runHistory(events);
          const expected = stateText(mergeAll(replicas));
          for (const order of [orderA, orderB]) {
            // Deliver every update (with some repeated) in a shuffled order, merging into one of two
            // receivers that merge with each other at the end: other orders, other groupings.
            const shuffled = shuffle([...updates, ...updates.slice(0, order.length % 3)], order);
            let left = emptyDocument();
            let right = emptyDocument();
            shuffled.forEach((u, n) => {
              if ((order[n % order.length] ?? 0) % 2 === 0) left = merge(left, u);
              else right = merge(u, right);
            });
            assert.equal(stateText(merge(left, right)), expected);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('commutes with blind writes: apply then merge shows what merge then apply shows (property)', () => {
    // Writes that do not depend on what the writer has seen (increment, add, set, expire) give the same
    // document whether the other state is merged before or after them.
    const blind = arbBatch.map((ops) => ops.filter((op) => op.op !== 'remove' && op.op !== 'delete'));
    fc.assert(
      fc.property(
        arbHistory,
        blind,
        fc.nat({ max: REPLICAS.length - 1 }),
        fc.nat(),
        (events, ops, at, pick) => {
          fc.pre(ops.length > 0);
          const { replicas, updates } = runHistory(events);
          const pool = [...replicas, ...updates];
          const mine = replicas[at]!;
          const other = pool[pick % pool.length]!;
          const ctx = { replica: REPLICAS[at]!, timestamp: version(events.length + 1, REPLICAS[at]!) };
          const applyThenMerge = tryApply(mine, ops, ctx);
          const mergeThenApply = tryApply(merge(mine, other), ops, ctx);
          // A type conflict only one side sees makes that side refuse the batch: nothing to compare.
          fc.pre(applyThenMerge !== undefined && mergeThenApply !== undefined);
          assert.deepEqual(materialize(merge(applyThenMerge, other)), materialize(mergeThenApply));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts 3N when each of 3 replicas increments N times, merging at random (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 2 })), { maxLength: 40 }),
        fc.nat(),
        (n, merges, seed) => {
          const states = REPLICAS.map(() => emptyDocument());
          const left = [n, n, n];
          let step = 0;
          let m = 0;
          while (left.some((x) => x > 0)) {
            const r = (seed + step) % 3;
            if (left[r]! > 0) {
              const ctx = { replica: REPLICAS[r]!, timestamp: version(step, REPLICAS[r]!) };
              states[r] = applyOps(states[r]!, [{ op: 'increment', path: ['likes'] }], ctx);
              left[r]!--;
            }
            const mergeStep = merges[m++ % Math.max(1, merges.length)];
            if (mergeStep) states[mergeStep[1]] = merge(states[mergeStep[1]]!, states[mergeStep[0]]!);
            step++;
          }
          for (const s of states) assert.ok(((materialize(s)?.['likes'] ?? 0) as number) <= 3 * n);
          assert.deepEqual(materialize(mergeAll(states)), { likes: 3 * n });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps a concurrently added element and drops one removed after its add was seen (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 2 }), fc.boolean(), (value, seen) => {
        const ops = (op: 'add' | 'remove'): Op[] => [{ op, path: ['tags'], value: value as never }];
        const at = (r: number, step: number) => ({
          replica: REPLICAS[r]!,
          timestamp: version(step, REPLICAS[r]!),
        });
        const base = applyOps(emptyDocument(), ops('add'), at(0, 1));
        // Replica 1 has seen the first add; replica 0 adds the same element again.
        const readd = applyOps(base, ops('add'), at(0, 2));
        const removed = applyOps(seen ? readd : base, ops('remove'), at(1, 3));
        const merged = materialize(merge(readd, removed));
        assert.deepEqual(merged?.['tags'], seen ? [] : [JSON.parse(JSON.stringify(value))]);
      }),
      { numRuns: 200 },
    );
  });

  it('merges two 10k-element sets in linear time', () => {
    const fill = (replica: string, from: number, step0: number) => {
      let s = emptyDocument();
      for (let b = 0; b < 10; b++) {
        const ops: Op[] = Array.from({ length: 1000 }, (_, k) => ({
          op: 'add',
          path: ['big'],
          value: `item-${from + b * 1000 + k}`,
        }));
        s = applyOps(s, ops, { replica, timestamp: version(step0 + b, replica) });
      }
      return s;
    };
    const a = fill('us-east-1', 0, 0);
    const b = fill('eu-west-1', 5000, 100);
    const started = performance.now();
    const m = merge(a, b);
    const elapsed = performance.now() - started;
    assert.equal((materialize(m)?.['big'] as unknown[]).length, 15000);
    assert.ok(elapsed < 250, `merge took ${elapsed.toFixed(1)} ms`);
    // Twice the size should cost about twice the time, not four times: measure on 20k vs 10k.
    const c = merge(m, fill('ap-south-1', 15000, 200));
    const t2 = performance.now();
    merge(c, a);
    const bigger = performance.now() - t2;
    assert.ok(bigger < 500, `merge of 25k took ${bigger.toFixed(1)} ms`);
  });
});

function shuffle<T>(items: T[], seeds: readonly number[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = (seeds[i % seeds.length] ?? 0) % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
