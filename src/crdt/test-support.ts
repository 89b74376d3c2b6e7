// Test helpers for src/crdt (pure, like the rest of the folder): random op batches on a few shared paths (so types conflict and maps nest),
// and a seeded history runner that applies batches at replicas and merges states between them.

import fc from 'fast-check';
import type { Json } from '../core/json.ts';
import { CrdtOpError, applyOps, emptyDocument, encode, merge, type CrdtDocument, type Op } from './index.ts';

export const REPLICAS = ['us-east-1', 'eu-west-1', 'ap-south-1'] as const;

/** Materialize at this time in property tests: expiries are drawn around it, so some fields have expired. */
export const NOW = 50;

/** An HLC-like version: global step order, fixed width, so later steps compare greater. */
export function version(step: number, replica: string): string {
  return step.toString(16).padStart(12, '0') + '@' + replica;
}

const paths: readonly (readonly string[])[] = [['a'], ['b'], ['m', 'a'], ['m', 'b'], ['m', 'n', 'c'], ['m']];
const arbPath = fc.constantFrom(...paths);
const arbValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>('red', 'green', 'blue', null, { y: [2], x: 1 }),
  fc.integer({ min: -2, max: 3 }),
);

export const arbOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('increment' as const),
      path: arbPath,
      by: fc.integer({ min: 1, max: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('decrement' as const),
      path: arbPath,
      by: fc.integer({ min: 1, max: 5 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('add' as const), path: arbPath, value: arbValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), path: arbPath, value: arbValue }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), path: arbPath, value: arbValue }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('delete' as const), path: fc.oneof(arbPath, fc.constant([])) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('expire' as const),
      path: fc.oneof(arbPath, fc.constant([])),
      at: fc.integer({ min: 0, max: 100 }),
    }),
  },
);

export const arbBatch: fc.Arbitrary<Op[]> = fc.array(arbOp, { minLength: 1, maxLength: 4 });

export type HistoryEvent =
  | { readonly kind: 'ops'; readonly at: number; readonly ops: readonly Op[]; readonly useNow: boolean }
  | { readonly kind: 'merge'; readonly from: number; readonly to: number };

const arbReplica = fc.integer({ min: 0, max: REPLICAS.length - 1 });

export const arbEvent: fc.Arbitrary<HistoryEvent> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('ops' as const),
      at: arbReplica,
      ops: arbBatch,
      useNow: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('merge' as const), from: arbReplica, to: arbReplica }),
  },
);

export const arbHistory: fc.Arbitrary<HistoryEvent[]> = fc.array(arbEvent, { minLength: 1, maxLength: 40 });

export interface History {
  /** Each replica's state at the end. */
  readonly replicas: CrdtDocument[];
  /** The state of the writing replica right after each applied batch: what it would ship. */
  readonly updates: CrdtDocument[];
}

/**
 * Runs the events. A batch the replica's state refuses (type mismatch, expire of a missing field) is
 * skipped, as the HTTP API would refuse it; any other error fails the test.
 */
export function runHistory(events: readonly HistoryEvent[]): History {
  const replicas = REPLICAS.map(() => emptyDocument());
  const updates: CrdtDocument[] = [];
  events.forEach((e, step) => {
    if (e.kind === 'merge') {
      replicas[e.to] = merge(replicas[e.to]!, replicas[e.from]!);
      return;
    }
    const replica = REPLICAS[e.at]!;
    const ctx = { replica, timestamp: version(step, replica), now: e.useNow ? NOW : undefined };
    const next = tryApply(replicas[e.at]!, e.ops, ctx);
    if (next === undefined) return;
    replicas[e.at] = next;
    updates.push(next);
  });
  return { replicas, updates };
}

export function tryApply(
  state: CrdtDocument,
  ops: readonly Op[],
  ctx: Parameters<typeof applyOps>[2],
): CrdtDocument | undefined {
  try {
    return applyOps(state, ops, ctx);
  } catch (err) {
    if (err instanceof CrdtOpError && (err.reason === 'type_mismatch' || err.reason === 'missing_field')) {
      return undefined;
    }
    throw err;
  }
}

export function mergeAll(states: readonly CrdtDocument[]): CrdtDocument {
  return states.reduce((acc, s) => merge(acc, s), emptyDocument());
}

/** States are compared by their canonical encoding, as stored: equal states give identical JSON text. */
export function stateText(state: CrdtDocument): string {
  return JSON.stringify(encode(state));
}
