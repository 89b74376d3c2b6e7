// The in-memory state of a CRDT document, and the small rules every module shares: which type a field
// shows, when it has expired, and what deleting it leaves behind. See index.ts for the rules in prose.

import type { Json } from '../core/json.ts';
import { compareDots, maxDot, type CausalContext, type Dot } from './dots.ts';

/** Per replica, the cumulative increments (p) and decrements (n) it made, and how much of each was deleted. */
export interface CounterTotals {
  readonly p: number;
  readonly n: number;
  /** The part of p that deletes have removed (a floor: the value counts p - fp). */
  readonly fp: number;
  /** The part of n that deletes have removed. */
  readonly fn: number;
}

/** PN-counter with observed-remove deletes: totals only grow; a delete raises the floors to what it saw. */
export interface CounterState {
  readonly live: readonly Dot[];
  readonly totals: ReadonlyMap<string, CounterTotals>;
}

export interface SetElement {
  readonly value: Json;
  readonly dots: readonly Dot[];
}

/** Add-wins observed-remove set, keyed by canonical JSON text (json-value.ts). */
export interface SetState {
  readonly live: readonly Dot[];
  readonly elements: ReadonlyMap<string, SetElement>;
}

/** One write of a register: concurrent writes are all kept; the greatest dot is shown. */
export interface RegisterEntry {
  readonly dot: Dot;
  readonly value: Json;
}

export interface MapState {
  readonly live: readonly Dot[];
  readonly fields: ReadonlyMap<string, Slot>;
}

/** One `expire` write: the field (or document) is gone from `at` (ms since the epoch) on. */
export interface ExpiryEntry {
  readonly dot: Dot;
  readonly at: number;
}

/**
 * A named field. Each type has its own component, merged on its own; `live` dots (presence) say whether a
 * component exists. Only the component with the most recent live write is shown (visibleType).
 */
export interface Slot {
  readonly counter?: CounterState | undefined;
  readonly set?: SetState | undefined;
  readonly register?: readonly RegisterEntry[] | undefined;
  readonly map?: MapState | undefined;
  readonly expiry?: readonly ExpiryEntry[] | undefined;
}

/** A whole document: its causal context, its top-level fields and its own expiry. */
export interface DocState {
  readonly cc: CausalContext;
  readonly fields: ReadonlyMap<string, Slot>;
  readonly expiry: readonly ExpiryEntry[];
}

export const FIELD_TYPES = ['counter', 'set', 'register', 'map'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export const EMPTY_FIELDS: ReadonlyMap<string, Slot> = new Map();

/** The latest live write of each type, or undefined when the type is absent. */
function presence(slot: Slot, type: FieldType): Dot | undefined {
  switch (type) {
    case 'counter':
      return slot.counter && maxDot(slot.counter.live);
    case 'set':
      return slot.set && maxDot(slot.set.live);
    case 'map':
      return slot.map && maxDot(slot.map.live);
    case 'register':
      return slot.register && maxDot(slot.register.map((e) => e.dot));
  }
}

/** The greatest `at` among expiry entries: the longest time-to-live wins. */
export function expiresAt(entries: readonly ExpiryEntry[] | undefined): number | undefined {
  let at: number | undefined;
  for (const e of entries ?? []) if (at === undefined || e.at > at) at = e.at;
  return at;
}

export function isExpired(entries: readonly ExpiryEntry[] | undefined, now: number | undefined): boolean {
  if (now === undefined) return false;
  const at = expiresAt(entries);
  return at !== undefined && at <= now;
}

/**
 * The type a field shows: of the types with a live write, the one whose latest write has the greatest
 * (timestamp, replica, index). Undefined when the field is absent or has expired at `now`.
 */
export function visibleType(slot: Slot | undefined, now: number | undefined): FieldType | undefined {
  if (slot === undefined || isExpired(slot.expiry, now)) return undefined;
  let best: FieldType | undefined;
  let bestDot: Dot | undefined;
  for (const type of FIELD_TYPES) {
    const dot = presence(slot, type);
    if (dot !== undefined && (bestDot === undefined || compareDots(dot, bestDot) > 0)) {
      best = type;
      bestDot = dot;
    }
  }
  return best;
}

/**
 * What deleting a component leaves: nothing, except a counter's totals with the floors raised to them (so
 * increments this delete saw stay deleted after merging with replicas that had not seen the delete).
 */
export function clearCounter(counter: CounterState | undefined): CounterState | undefined {
  if (counter === undefined || counter.totals.size === 0) return undefined;
  const totals = new Map<string, CounterTotals>();
  for (const [replica, t] of counter.totals) totals.set(replica, { p: t.p, n: t.n, fp: t.p, fn: t.n });
  return { live: [], totals };
}

export function clearFields(fields: ReadonlyMap<string, Slot>): ReadonlyMap<string, Slot> {
  const out = new Map<string, Slot>();
  for (const [name, slot] of fields) {
    const left = clearSlot(slot);
    if (left !== undefined) out.set(name, left);
  }
  return out;
}

export function clearMap(map: MapState | undefined): MapState | undefined {
  if (map === undefined) return undefined;
  const fields = clearFields(map.fields);
  return fields.size === 0 ? undefined : { live: [], fields };
}

/** Observed-remove delete of a whole field: every type, and its expiry. */
export function clearSlot(slot: Slot): Slot | undefined {
  return makeSlot({ counter: clearCounter(slot.counter), map: clearMap(slot.map) });
}

/** Clears every component but `keep`: a write of one type deletes what the writer saw of the others. */
export function keepOnly(slot: Slot, keep: FieldType): Slot {
  return {
    counter: keep === 'counter' ? slot.counter : clearCounter(slot.counter),
    set: keep === 'set' ? slot.set : undefined,
    register: keep === 'register' ? slot.register : undefined,
    map: keep === 'map' ? slot.map : clearMap(slot.map),
    expiry: slot.expiry,
  };
}

/**
 * A slot in canonical form: empty components dropped, undefined when nothing is left. Every function that
 * builds slots goes through here, so equal states have equal shapes (and encodings).
 */
export function makeSlot(parts: Slot): Slot | undefined {
  const counter =
    parts.counter && (parts.counter.live.length > 0 || parts.counter.totals.size > 0)
      ? parts.counter
      : undefined;
  const set = parts.set && (parts.set.live.length > 0 || parts.set.elements.size > 0) ? parts.set : undefined;
  const register = parts.register && parts.register.length > 0 ? parts.register : undefined;
  const map = parts.map && (parts.map.live.length > 0 || parts.map.fields.size > 0) ? parts.map : undefined;
  const expiry = parts.expiry && parts.expiry.length > 0 ? parts.expiry : undefined;
  if (!counter && !set && !register && !map && !expiry) return undefined;
  const slot: { -readonly [K in keyof Slot]: Slot[K] } = {};
  if (counter) slot.counter = counter;
  if (set) slot.set = set;
  if (register) slot.register = register;
  if (map) slot.map = map;
  if (expiry) slot.expiry = expiry;
  return slot;
}

export function emptyState(): DocState {
  return { cc: new Map(), fields: new Map(), expiry: [] };
}
