// Random write/read/sync histories over a few replicas for the property tests, and the oracle they are
// checked against: which writes a state should still hold, computed from the history alone.

import fc from 'fast-check';
import type { JsonObject } from '../core/json.ts';
import { counterOf, coversDot, type Dot, type VersionVector } from './version-vector.ts';
import {
  emptyState,
  merge,
  read,
  write,
  type Context,
  type VectorState,
  type WriteOptions,
} from './vector-state.ts';

/** Replica names, including `constructor` (a valid name that is also an `Object.prototype` key). */
export const REPLICA_POOL = ['eu-west-1', 'us-east-1', 'constructor', 'a', '0', 'ap-south-2'] as const;

export type ContextChoice =
  | { kind: 'blind' }
  | { kind: 'fresh' } // the writing replica's current context: read-modify-write there
  | { kind: 'saved'; pick: number } // a context some earlier read returned, anywhere: often stale
  | { kind: 'forged'; context: Context }; // anything a client could put in the header

export type Op =
  | { kind: 'read'; at: number }
  | { kind: 'write'; at: number; context: ContextChoice; remove: boolean }
  | { kind: 'sync'; from: number; to: number };

export type WriteEvent = {
  dot: Dot;
  value: JsonObject | null;
  context: Context | undefined;
  /** The writing replica's vv just before the write. */
  before: VersionVector;
};

export type History = {
  replicas: string[];
  /** Each replica's final state. */
  states: VectorState[];
  writes: WriteEvent[];
  /** Every replica state the history produced, in order. */
  snapshots: VectorState[];
};

export const arbReplicas = fc.shuffledSubarray([...REPLICA_POOL], { minLength: 2, maxLength: 4 });

const arbForged: fc.Arbitrary<Context> = fc.dictionary(
  fc.constantFrom(...REPLICA_POOL),
  fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 12 }) }, fc.constant(Number.MAX_SAFE_INTEGER)),
  { maxKeys: 4 },
);

/** Histories; `forged` adds writes whose context is arbitrary (only sound with the default, untrusted mode). */
export function arbOps(options: { forged: boolean; maxLength?: number }): fc.Arbitrary<Op[]> {
  const at = fc.nat({ max: 7 });
  const context: fc.Arbitrary<ContextChoice> = fc.oneof(
    { weight: 3, arbitrary: fc.constant({ kind: 'fresh' as const }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('saved' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'blind' as const }) },
    {
      weight: options.forged ? 1 : 0,
      arbitrary: fc.record({ kind: fc.constant('forged' as const), context: arbForged }),
    },
  );
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('write' as const), at, context, remove: fc.boolean() }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), at }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: at, to: at }) },
  );
  return fc.array(op, { maxLength: options.maxLength ?? 40, size: 'max' });
}

/** Plays `ops`: each replica writes onto its own state; a sync merges one replica's state into another's. */
export function runHistory(
  replicas: readonly string[],
  ops: readonly Op[],
  options: WriteOptions = {},
): History {
  const states = replicas.map(() => emptyState());
  const saved: Context[] = [];
  const writes: WriteEvent[] = [];
  const snapshots: VectorState[] = [];
  const n = replicas.length;
  for (const op of ops) {
    if (op.kind === 'read') {
      saved.push(read(states[op.at % n]).context);
    } else if (op.kind === 'sync') {
      const to = op.to % n;
      states[to] = merge(states[to], states[op.from % n]);
      snapshots.push(states[to]);
    } else {
      const at = op.at % n;
      const replica = replicas[at]!;
      const before = states[at]!;
      const context = pickContext(op.context, before, saved);
      const value = op.remove ? null : { write: writes.length, by: replica };
      const after = write(before, context, value, replica, options);
      writes.push({ dot: [replica, counterOf(after.vv, replica)], value, context, before: before.vv });
      states[at] = after;
      snapshots.push(after);
    }
  }
  return { replicas: [...replicas], states, writes, snapshots };
}

function pickContext(choice: ContextChoice, state: VectorState, saved: Context[]): Context | undefined {
  switch (choice.kind) {
    case 'blind':
      return undefined;
    case 'fresh':
      return read(state).context;
    case 'saved':
      return saved.length === 0 ? undefined : saved[choice.pick % saved.length];
    case 'forged':
      return choice.context;
  }
}

/** All states merged, left to right. */
export function mergeAll(states: readonly VectorState[]): VectorState {
  return states.reduce<VectorState>((acc, s) => merge(acc, s), emptyState());
}

/**
 * Whether `by` replaced `target`: the client's context covered it, and (unless trusted) the writing replica
 * had seen it. The writer's own entry is always capped at what the writer had seen.
 */
export function replaces(by: WriteEvent, target: Dot, options: WriteOptions = {}): boolean {
  if (by.context === undefined || !coversDot(by.context, target)) return false;
  const writer = by.dot[0];
  if (options.trustContext === true && target[0] !== writer) return true;
  return coversDot(by.before, target);
}

/**
 * The siblings a state with version vector `vv` must hold: every write it has seen that no write it has
 * seen replaced, with that write's value, in dot order. Equality with this is "no lost write" (nothing
 * missing) and "no resurrection" (nothing extra) at once.
 */
export function expectedSiblings(
  writes: readonly WriteEvent[],
  vv: VersionVector,
  options: WriteOptions = {},
): VectorState['siblings'] {
  const seen = writes.filter((w) => coversDot(vv, w.dot));
  return seen
    .filter((w) => !seen.some((other) => replaces(other, w.dot, options)))
    .map((w) => ({ dot: w.dot, value: w.value }))
    .sort((p, q) => (p.dot[0] < q.dot[0] ? -1 : p.dot[0] > q.dot[0] ? 1 : p.dot[1] - q.dot[1]));
}

/** Write `(r, n)` is fresh when n = 1 or its context covers `(r, n - 1)`, the replica's previous write. */
export function isFresh(w: WriteEvent): boolean {
  const [replica, counter] = w.dot;
  return counter === 1 || (w.context !== undefined && counterOf(w.context, replica) >= counter - 1);
}

/** The sibling bound stated in vector-state.ts for a state with version vector `vv`. */
export function siblingBound(writes: readonly WriteEvent[], vv: VersionVector): number {
  const writers = Object.values(vv).filter((c) => c > 0).length;
  const staleSeen = writes.filter((w) => coversDot(vv, w.dot) && !isFresh(w)).length;
  return writers + staleSeen;
}
