// The join of two document states: commutative, associative and idempotent, in one pass over both (linear
// in their size). Every component merges on its own, so a type conflict never loses data.

import { canonicalKey, compareJson } from './json-value.ts';
import { mergeContexts, mergeDots, mergeDotted, type CausalContext, type Dot } from './dots.ts';
import {
  EMPTY_FIELDS,
  makeSlot,
  type CounterState,
  type CounterTotals,
  type DocState,
  type ExpiryEntry,
  type MapState,
  type RegisterEntry,
  type SetElement,
  type SetState,
  type Slot,
} from './state.ts';

export function mergeStates(a: DocState, b: DocState): DocState {
  if (a === b) return a;
  return {
    cc: mergeContexts(a.cc, b.cc),
    fields: mergeFields(a.fields, b.fields, a.cc, b.cc),
    expiry: mergeExpiry(a.expiry, b.expiry, a.cc, b.cc),
  };
}

function mergeFields(
  a: ReadonlyMap<string, Slot>,
  b: ReadonlyMap<string, Slot>,
  ccA: CausalContext,
  ccB: CausalContext,
): ReadonlyMap<string, Slot> {
  const out = new Map<string, Slot>();
  // A field missing on one side is merged with nothing rather than copied: that side may have seen and
  // deleted some of its dots, which must go.
  for (const [name, x] of a) {
    const slot = mergeSlot(x, b.get(name) ?? {}, ccA, ccB);
    if (slot !== undefined) out.set(name, slot);
  }
  for (const [name, y] of b) {
    if (a.has(name)) continue;
    const slot = mergeSlot({}, y, ccA, ccB);
    if (slot !== undefined) out.set(name, slot);
  }
  return out;
}

function mergeSlot(x: Slot, y: Slot, ccA: CausalContext, ccB: CausalContext): Slot | undefined {
  return makeSlot({
    counter: x.counter || y.counter ? mergeCounter(x.counter, y.counter, ccA, ccB) : undefined,
    set: x.set || y.set ? mergeSet(x.set, y.set, ccA, ccB) : undefined,
    register:
      x.register || y.register ? mergeRegister(x.register ?? [], y.register ?? [], ccA, ccB) : undefined,
    map: x.map || y.map ? mergeMap(x.map, y.map, ccA, ccB) : undefined,
    expiry: x.expiry || y.expiry ? mergeExpiry(x.expiry ?? [], y.expiry ?? [], ccA, ccB) : undefined,
  });
}

const NO_DOTS: readonly Dot[] = [];

function mergeCounter(
  x: CounterState | undefined,
  y: CounterState | undefined,
  ccA: CausalContext,
  ccB: CausalContext,
): CounterState {
  const totals = new Map<string, CounterTotals>(x?.totals ?? []);
  for (const [replica, t] of y?.totals ?? []) {
    const mine = totals.get(replica);
    totals.set(
      replica,
      mine === undefined
        ? t
        : {
            p: Math.max(mine.p, t.p),
            n: Math.max(mine.n, t.n),
            fp: Math.max(mine.fp, t.fp),
            fn: Math.max(mine.fn, t.fn),
          },
    );
  }
  return { live: mergeDots(x?.live ?? NO_DOTS, y?.live ?? NO_DOTS, ccA, ccB), totals };
}

function mergeSet(
  x: SetState | undefined,
  y: SetState | undefined,
  ccA: CausalContext,
  ccB: CausalContext,
): SetState {
  const a = x?.elements ?? new Map<string, SetElement>();
  const b = y?.elements ?? new Map<string, SetElement>();
  const elements = new Map<string, SetElement>();
  for (const [key, e] of a) {
    const dots = mergeDots(e.dots, b.get(key)?.dots ?? NO_DOTS, ccA, ccB);
    if (dots.length > 0) elements.set(key, { value: e.value, dots });
  }
  for (const [key, e] of b) {
    if (a.has(key)) continue;
    const dots = mergeDots(NO_DOTS, e.dots, ccA, ccB);
    if (dots.length > 0) elements.set(key, { value: e.value, dots });
  }
  return { live: mergeDots(x?.live ?? NO_DOTS, y?.live ?? NO_DOTS, ccA, ccB), elements };
}

// Two payloads under one dot only happen if a replica reused a dot (lost its state and started again);
// the larger one is kept so that even then the merge stays a join.
function largerValue(x: RegisterEntry, y: RegisterEntry): RegisterEntry {
  return compareJson(x.value, canonicalKey(x.value), y.value, canonicalKey(y.value)) >= 0 ? x : y;
}

function mergeRegister(
  x: readonly RegisterEntry[],
  y: readonly RegisterEntry[],
  ccA: CausalContext,
  ccB: CausalContext,
): readonly RegisterEntry[] {
  return mergeDotted(x, y, ccA, ccB, (e) => e.dot, largerValue);
}

function mergeMap(
  x: MapState | undefined,
  y: MapState | undefined,
  ccA: CausalContext,
  ccB: CausalContext,
): MapState {
  return {
    live: mergeDots(x?.live ?? NO_DOTS, y?.live ?? NO_DOTS, ccA, ccB),
    fields: mergeFields(x?.fields ?? EMPTY_FIELDS, y?.fields ?? EMPTY_FIELDS, ccA, ccB),
  };
}

function mergeExpiry(
  x: readonly ExpiryEntry[],
  y: readonly ExpiryEntry[],
  ccA: CausalContext,
  ccB: CausalContext,
): readonly ExpiryEntry[] {
  return mergeDotted(
    x,
    y,
    ccA,
    ccB,
    (e) => e.dot,
    (p, q) => (p.at >= q.at ? p : q),
  );
}
