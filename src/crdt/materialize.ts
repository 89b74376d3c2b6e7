// The plain JSON a document shows to readers: counters as numbers, sets as sorted arrays, registers as
// their value, maps as objects; expired fields left out, an expired document null.

import type { Json, JsonObject } from '../core/json.ts';
import { maxDot, compareDots } from './dots.ts';
import { compareJson } from './json-value.ts';
import {
  expiresAt,
  isExpired,
  visibleType,
  type CounterState,
  type DocState,
  type RegisterEntry,
  type SetState,
  type Slot,
} from './state.ts';

export function materializeState(state: DocState, now?: number): JsonObject | null {
  if (isExpired(state.expiry, now)) return null;
  return materializeFields(state.fields, now);
}

/** When the document itself expires (the longest `expire` on `[]`), if it does. */
export function documentExpiresAt(state: DocState): number | undefined {
  return expiresAt(state.expiry);
}

function materializeFields(fields: ReadonlyMap<string, Slot>, now: number | undefined): JsonObject {
  const out: [string, Json][] = [];
  for (const name of [...fields.keys()].sort()) {
    const value = materializeSlot(fields.get(name)!, now);
    if (value !== undefined) out.push([name, value]);
  }
  // fromEntries defines own properties: a field named "__proto__" stays a field.
  return Object.fromEntries(out);
}

function materializeSlot(slot: Slot, now: number | undefined): Json | undefined {
  switch (visibleType(slot, now)) {
    case undefined:
      return undefined;
    case 'counter':
      return counterValue(slot.counter!);
    case 'set':
      return setValue(slot.set!);
    case 'register':
      return registerValue(slot.register!);
    case 'map':
      return materializeFields(slot.map!.fields, now);
  }
}

export function counterValue(counter: CounterState): number {
  let value = 0;
  for (const t of counter.totals.values()) value += t.p - t.fp - (t.n - t.fn);
  return value;
}

function setValue(set: SetState): Json[] {
  return [...set.elements]
    .sort(([ka, a], [kb, b]) => compareJson(a.value, ka, b.value, kb))
    .map(([, e]) => e.value);
}

/** Last writer wins among the writes no one has overwritten yet: the greatest (timestamp, replica, index). */
function registerValue(entries: readonly RegisterEntry[]): Json {
  const top = maxDot(entries.map((e) => e.dot))!;
  return entries.find((e) => compareDots(e.dot, top) === 0)!.value;
}
