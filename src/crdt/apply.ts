// Applies a batch of ops to a document state at one replica: all or nothing, pure (time and identity come
// in the context), and copy-on-write, so the input state is never changed.

import type { Json } from '../core/json.ts';
import type { Dot } from './dots.ts';
import { CrdtOpError } from './errors.ts';
import { canonicalKey, describeValue } from './json-value.ts';
import { describeOp, validateOps, type Op, type Path } from './ops.ts';
import {
  EMPTY_FIELDS,
  clearFields,
  clearSlot,
  expiresAt,
  isExpired,
  keepOnly,
  makeSlot,
  visibleType,
  type CounterTotals,
  type DocState,
  type ExpiryEntry,
  type FieldType,
  type SetElement,
  type Slot,
} from './state.ts';

/**
 * Who writes, and when. The op at index i of the batch gets the dot (replica, timestamp, i).
 *
 * Requirements, which hold when the region applies a request to its current stored state inside the
 * write's transaction and stamps it with its HLC version:
 * - `timestamp` is unique to this write and greater (as a string) than every earlier write of `replica`
 *   to this document; applyOps refuses a timestamp that is not (stale_timestamp).
 * - the state is this replica's latest state of the document, never an older copy: a replica's own
 *   counter totals and dots only grow if each write starts from the previous one.
 */
export interface ApplyContext {
  /** The writing replica: the region id. */
  readonly replica: string;
  /** The write's version (an HLC version string such as '01a216a016c00000@us-east-1'). */
  readonly timestamp: string;
  /**
   * Milliseconds since the epoch. When given, fields (and the document) that have expired by then count as
   * absent: a write to one starts it afresh, as materialize(state, now) already shows it gone.
   */
  readonly now?: number | undefined;
}

const MAX_CONTEXT_STRING = 256;

export function applyOpsToState(state: DocState, ops: readonly Op[], ctx: ApplyContext): DocState {
  checkContext(ctx, state);
  const checked = validateOps(ops);
  const owned = new WeakSet<object>();
  let fields = state.fields;
  let expiry = state.expiry;
  if (isExpired(expiry, ctx.now)) {
    fields = clearFields(fields);
    expiry = [];
  }
  checked.forEach((op, index) => {
    const step = new Step(op, index, { replica: ctx.replica, time: ctx.timestamp, index }, ctx.now, owned);
    if (op.path.length > 0) fields = update(fields, 0, step);
    else if (op.op === 'delete') {
      fields = clearFields(fields);
      expiry = [];
    } else if (op.op === 'expire') expiry = extendExpiry(expiry, op.at, step.dot) ?? expiry;
  });
  const cc = new Map(state.cc).set(ctx.replica, { time: ctx.timestamp, index: checked.length - 1 });
  return { cc, fields, expiry };
}

function checkContext(ctx: ApplyContext, state: DocState): void {
  const bad = (problem: string) => new CrdtOpError('invalid_context', `invalid apply context: ${problem}`);
  if (typeof ctx !== 'object' || ctx === null) throw bad(`expected an object, got ${describeValue(ctx)}`);
  for (const key of ['replica', 'timestamp'] as const) {
    const v: unknown = ctx[key];
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_CONTEXT_STRING) {
      throw bad(
        `${key}: expected a string of 1 to ${MAX_CONTEXT_STRING} characters, got ${describeValue(v)}`,
      );
    }
  }
  if (ctx.now !== undefined && (typeof ctx.now !== 'number' || !Number.isFinite(ctx.now))) {
    throw bad(`now: expected milliseconds since the epoch, got ${describeValue(ctx.now)}`);
  }
  const seen = state.cc.get(ctx.replica);
  if (seen !== undefined && !(ctx.timestamp > seen.time)) {
    throw new CrdtOpError(
      'stale_timestamp',
      `timestamp ${JSON.stringify(ctx.timestamp)} from replica ${ctx.replica} is not after its last write ` +
        `to this document (${JSON.stringify(seen.time)}): every write needs a new, larger timestamp ` +
        `(its HLC version), applied to the replica's latest state`,
    );
  }
}

/** One op being applied: its dot, and the maps this batch already copied (so it may change them in place). */
class Step {
  constructor(
    readonly op: Op,
    readonly index: number,
    readonly dot: Dot,
    readonly now: number | undefined,
    private readonly owned: WeakSet<object>,
  ) {}

  own<K, V>(map: ReadonlyMap<K, V>): Map<K, V> {
    if (this.owned.has(map)) return map as Map<K, V>;
    const copy = new Map(map);
    this.owned.add(copy);
    return copy;
  }

  /** A content write (increment, decrement, add, set) creates missing maps on its path and refreshes them. */
  get creates(): boolean {
    return this.op.op !== 'remove' && this.op.op !== 'delete' && this.op.op !== 'expire';
  }

  fail(reason: 'type_mismatch' | 'missing_field' | 'overflow', problem: string): CrdtOpError {
    return new CrdtOpError(reason, `ops[${this.index}] (${describeOp(this.op)}): ${problem}`, {
      opIndex: this.index,
      path: this.op.path,
    });
  }

  mismatch(field: Path, actual: FieldType, wanted: FieldType): CrdtOpError {
    const fix = field.length === this.op.path.length ? '; delete it first to give it another type' : '';
    return this.fail('type_mismatch', `field ${JSON.stringify(field)} is a ${actual}, not a ${wanted}${fix}`);
  }
}

/** Applies the step's op below `fields` at path position `depth`; returns `fields` itself if nothing changed. */
function update(fields: ReadonlyMap<string, Slot>, depth: number, step: Step): ReadonlyMap<string, Slot> {
  const name = step.op.path[depth]!;
  const current = fields.get(name);
  const next = depth === step.op.path.length - 1 ? leaf(current, step) : descend(current, depth, step);
  if (next === current) return fields;
  const out = step.own(fields);
  if (next === undefined) out.delete(name);
  else out.set(name, next);
  return out;
}

/** A field that shows no type (absent, expired, or only leftovers of deletes) is started afresh by a write. */
function fresh(slot: Slot | undefined): Slot {
  return (slot && clearSlot(slot)) ?? {};
}

function descend(slot: Slot | undefined, depth: number, step: Step): Slot | undefined {
  const here = step.op.path.slice(0, depth + 1);
  const type = visibleType(slot, step.now);
  if (type !== undefined && type !== 'map') throw step.mismatch(here, type, 'map');
  if (step.creates) {
    const base = type === undefined ? fresh(slot) : keepOnly(slot!, 'map');
    const fields = update(base.map?.fields ?? EMPTY_FIELDS, depth + 1, step);
    return makeSlot({ ...base, map: { live: [step.dot], fields } });
  }
  if (type === undefined || slot?.map === undefined) {
    if (step.op.op === 'expire')
      throw step.fail('missing_field', `there is no field ${JSON.stringify(step.op.path)} to expire`);
    return slot;
  }
  const map = slot.map;
  const fields = update(map.fields, depth + 1, step);
  return fields === map.fields ? slot : makeSlot({ ...slot, map: { live: map.live, fields } });
}

function leaf(slot: Slot | undefined, step: Step): Slot | undefined {
  const op = step.op;
  switch (op.op) {
    case 'increment':
    case 'decrement':
      return write(slot, step, 'counter', (base) => count(base, step, op.op === 'increment', op.by ?? 1));
    case 'add':
      return write(slot, step, 'set', (base) => add(base, step, op.value));
    case 'set':
      return write(slot, step, 'register', (base) => ({
        ...base,
        register: [{ dot: step.dot, value: op.value }],
      }));
    case 'remove':
      return remove(slot, step, op.value);
    case 'delete':
      return slot && clearSlot(slot);
    case 'expire': {
      if (visibleType(slot, step.now) === undefined) {
        throw step.fail('missing_field', `there is no field ${JSON.stringify(op.path)} to expire`);
      }
      const expiry = extendExpiry(slot!.expiry ?? [], op.at, step.dot);
      return expiry === undefined ? slot : makeSlot({ ...slot, expiry });
    }
  }
}

/**
 * A write of one type. The field must show that type or none; the writer's view of other types (hidden
 * losers of a concurrent type conflict) is deleted, so conflicts settle once a replica writes after them.
 */
function write(slot: Slot | undefined, step: Step, type: FieldType, change: (base: Slot) => Slot): Slot {
  const visible = visibleType(slot, step.now);
  if (visible !== undefined && visible !== type) throw step.mismatch(step.op.path, visible, type);
  const base = visible === undefined ? fresh(slot) : keepOnly(slot!, type);
  return makeSlot(change(base))!;
}

const ZERO: CounterTotals = { p: 0, n: 0, fp: 0, fn: 0 };

function count(base: Slot, step: Step, up: boolean, by: number): Slot {
  const replica = step.dot.replica;
  const mine = base.counter?.totals.get(replica) ?? ZERO;
  const total = (up ? mine.p : mine.n) + by;
  if (!Number.isSafeInteger(total)) {
    throw step.fail(
      'overflow',
      `the ${up ? 'increments' : 'decrements'} of replica ${replica} to this counter would exceed ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  const totals = new Map(base.counter?.totals).set(
    replica,
    up ? { ...mine, p: total } : { ...mine, n: total },
  );
  return { ...base, counter: { live: [step.dot], totals } };
}

function add(base: Slot, step: Step, value: Json): Slot {
  const elements = step.own(base.set?.elements ?? new Map<string, SetElement>());
  // The new dot replaces the element's dots this replica has seen: a concurrent remove only knew those.
  elements.set(canonicalKey(value), { value, dots: [step.dot] });
  return { ...base, set: { live: [step.dot], elements } };
}

function remove(slot: Slot | undefined, step: Step, value: Json): Slot | undefined {
  const visible = visibleType(slot, step.now);
  if (visible === undefined) return slot;
  if (visible !== 'set') throw step.mismatch(step.op.path, visible, 'set');
  const set = slot!.set!;
  const key = canonicalKey(value);
  if (!set.elements.has(key)) return slot;
  const elements = step.own(set.elements);
  elements.delete(key);
  return makeSlot({ ...slot, set: { live: set.live, elements } });
}

/** The entries after `expire at`, or undefined when the field already lives at least that long. */
function extendExpiry(
  entries: readonly ExpiryEntry[],
  at: number,
  dot: Dot,
): readonly ExpiryEntry[] | undefined {
  const current = expiresAt(entries);
  return current !== undefined && current >= at ? undefined : [{ dot, at }];
}
