// The stored form of a document state: plain JSON in one canonical shape (sorted keys, sorted lists), so it
// survives JSON.stringify/parse unchanged; decode checks untrusted input fully and names the first problem.

import type { Json, JsonObject } from '../core/json.ts';
import { compareDots, covers, type CausalContext, type Dot, type Stamp } from './dots.ts';
import { CrdtStateError } from './errors.ts';
import { canonicalJson, canonicalKey, describeValue, memberPath } from './json-value.ts';
import { OP_LIMITS } from './ops.ts';
import {
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

/** The `crdt` member of every encoded state: the version of this format. */
export const STATE_FORMAT_VERSION = 1;

// ---- encode ----

export function encodeState(state: DocState): JsonObject {
  const out: JsonObject = {
    crdt: STATE_FORMAT_VERSION,
    cc: sortedObject([...state.cc].map(([replica, s]) => [replica, [s.time, s.index]])),
    fields: encodeFields(state.fields),
  };
  if (state.expiry.length > 0) out['expiry'] = encodeExpiry(state.expiry);
  return out;
}

function sortedObject(entries: [string, Json][]): JsonObject {
  // fromEntries, not assignment: a key named "__proto__" must stay an own property.
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function encodeDot(d: Dot): Json {
  return [d.replica, d.time, d.index];
}

function encodeDots(dots: readonly Dot[]): Json[] {
  return [...dots].sort(compareDots).map(encodeDot);
}

function encodeFields(fields: ReadonlyMap<string, Slot>): JsonObject {
  return sortedObject([...fields].map(([name, slot]) => [name, encodeSlot(slot)]));
}

function encodeSlot(slot: Slot): JsonObject {
  const out: JsonObject = {};
  if (slot.counter) out['counter'] = encodeCounter(slot.counter);
  if (slot.set) out['set'] = encodeSet(slot.set);
  if (slot.register) {
    out['register'] = [...slot.register]
      .sort((a, b) => compareDots(a.dot, b.dot))
      .map((e) => [encodeDot(e.dot), e.value]);
  }
  if (slot.map) out['map'] = { live: encodeDots(slot.map.live), fields: encodeFields(slot.map.fields) };
  if (slot.expiry) out['expiry'] = encodeExpiry(slot.expiry);
  return out;
}

function encodeCounter(counter: CounterState): JsonObject {
  return {
    live: encodeDots(counter.live),
    totals: sortedObject([...counter.totals].map(([replica, t]) => [replica, [t.p, t.n, t.fp, t.fn]])),
  };
}

function encodeSet(set: SetState): JsonObject {
  const keys = [...set.elements.keys()].sort();
  return {
    live: encodeDots(set.live),
    elements: keys.map((key) => {
      const e = set.elements.get(key)!;
      return [e.value, encodeDots(e.dots)];
    }),
  };
}

function encodeExpiry(entries: readonly ExpiryEntry[]): Json[] {
  return [...entries].sort((a, b) => compareDots(a.dot, b.dot)).map((e) => [encodeDot(e.dot), e.at]);
}

// ---- decode ----

function fail(at: string, problem: string): never {
  throw new CrdtStateError(at, problem);
}

function record(v: unknown, at: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail(at, `expected an object, got ${describeValue(v)}`);
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null)
    fail(at, `expected a plain object, got ${describeValue(v)}`);
  const out = v as Record<string, unknown>;
  for (const key of Object.keys(out)) {
    if (!keys.includes(key)) fail(`${at}${memberPath(key)}`, `unknown member (expected ${keys.join(', ')})`);
  }
  return out;
}

/** An object used as a dictionary (field names, replicas): any keys, each value checked by the caller. */
function dictionary(v: unknown, at: string): [string, unknown][] {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail(at, `expected an object, got ${describeValue(v)}`);
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null)
    fail(at, `expected a plain object, got ${describeValue(v)}`);
  const d = v as Record<string, unknown>;
  return Object.keys(d).map((k) => [k, d[k]]);
}

function array(v: unknown, at: string, length?: number): readonly unknown[] {
  if (!Array.isArray(v)) fail(at, `expected an array, got ${describeValue(v)}`);
  if (length !== undefined && v.length !== length) fail(at, `expected ${length} items, got ${v.length}`);
  return v;
}

function text(v: unknown, at: string): string {
  if (typeof v !== 'string' || v.length === 0)
    fail(at, `expected a non-empty string, got ${describeValue(v)}`);
  return v;
}

function natural(v: unknown, at: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    fail(at, `expected a non-negative safe integer, got ${describeValue(v)}`);
  }
  return v;
}

function value(v: unknown, at: string): Json {
  const checked = canonicalJson(v);
  if (!checked.ok) fail(`${at}${checked.at}`, checked.problem);
  return checked.value;
}

/** Reads a whole state; throws CrdtStateError at the first problem. Never trusts its input. */
export function decodeState(input: unknown): DocState {
  const top = record(input, 'state', ['crdt', 'cc', 'fields', 'expiry']);
  if (top['crdt'] !== STATE_FORMAT_VERSION) {
    fail('state.crdt', `expected format version ${STATE_FORMAT_VERSION}, got ${describeValue(top['crdt'])}`);
  }
  const cc = readContext(top['cc'], 'state.cc');
  const reader = new Reader(cc);
  return {
    cc,
    fields: reader.fields(top['fields'], 'state.fields', 1),
    expiry: top['expiry'] === undefined ? [] : reader.expiry(top['expiry'], 'state.expiry'),
  };
}

function readContext(v: unknown, at: string): CausalContext {
  const cc = new Map<string, Stamp>();
  for (const [replica, raw] of dictionary(v, at)) {
    const here = `${at}${memberPath(replica)}`;
    if (replica.length === 0) fail(here, 'a replica id is a non-empty string');
    const pair = array(raw, here, 2);
    cc.set(replica, { time: text(pair[0], `${here}[0]`), index: natural(pair[1], `${here}[1]`) });
  }
  return cc;
}

/** Reads the parts under one causal context: every dot must be one the context has seen. */
class Reader {
  constructor(private readonly cc: CausalContext) {}

  dot(v: unknown, at: string): Dot {
    const parts = array(v, at, 3);
    const dot = {
      replica: text(parts[0], `${at}[0]`),
      time: text(parts[1], `${at}[1]`),
      index: natural(parts[2], `${at}[2]`),
    };
    if (!covers(this.cc, dot))
      fail(at, `dot ${JSON.stringify(parts)} is newer than the state's context (cc)`);
    return dot;
  }

  /**
   * Every write replaces the dots its replica had in the list it writes to, so a list holds at most one dot
   * per replica. Checking that keeps merges linear on hostile input.
   */
  dotted<T>(
    items: readonly unknown[],
    at: string,
    read: (item: unknown, at: string) => T,
    dotOf: (x: T) => Dot,
  ): T[] {
    const replicas = new Set<string>();
    const out = items.map((item, k) => {
      const x = read(item, `${at}[${k}]`);
      const { replica } = dotOf(x);
      if (replicas.has(replica)) fail(`${at}[${k}]`, `a second dot of replica ${replica} in one list`);
      replicas.add(replica);
      return x;
    });
    return out.sort((a, b) => compareDots(dotOf(a), dotOf(b)));
  }

  dots(v: unknown, at: string): Dot[] {
    return this.dotted(
      array(v, at),
      at,
      (item, here) => this.dot(item, here),
      (d) => d,
    );
  }

  fields(v: unknown, at: string, depth: number): ReadonlyMap<string, Slot> {
    if (depth > OP_LIMITS.maxPathLength) fail(at, `maps nest deeper than ${OP_LIMITS.maxPathLength} levels`);
    const out = new Map<string, Slot>();
    for (const [name, raw] of dictionary(v, at)) {
      const slot = this.slot(raw, `${at}${memberPath(name)}`, depth);
      if (slot !== undefined) out.set(name, slot);
    }
    return out;
  }

  slot(v: unknown, at: string, depth: number): Slot | undefined {
    const r = record(v, at, ['counter', 'set', 'register', 'map', 'expiry']);
    return makeSlot({
      counter: r['counter'] === undefined ? undefined : this.counter(r['counter'], `${at}.counter`),
      set: r['set'] === undefined ? undefined : this.set(r['set'], `${at}.set`),
      register: r['register'] === undefined ? undefined : this.register(r['register'], `${at}.register`),
      map: r['map'] === undefined ? undefined : this.map(r['map'], `${at}.map`, depth),
      expiry: r['expiry'] === undefined ? undefined : this.expiry(r['expiry'], `${at}.expiry`),
    });
  }

  counter(v: unknown, at: string): CounterState {
    const r = record(v, at, ['live', 'totals']);
    const totals = new Map<string, CounterTotals>();
    for (const [replica, raw] of dictionary(r['totals'], `${at}.totals`)) {
      const here = `${at}.totals${memberPath(replica)}`;
      const [p, n, fp, fn] = array(raw, here, 4).map((x, k) => natural(x, `${here}[${k}]`)) as [
        number,
        number,
        number,
        number,
      ];
      if (fp > p || fn > n) fail(here, 'a deleted amount (floor) exceeds its total');
      totals.set(replica, { p, n, fp, fn });
    }
    return { live: this.dots(r['live'], `${at}.live`), totals };
  }

  set(v: unknown, at: string): SetState {
    const r = record(v, at, ['live', 'elements']);
    const elements = new Map<string, SetElement>();
    array(r['elements'], `${at}.elements`).forEach((raw, k) => {
      const here = `${at}.elements[${k}]`;
      const pair = array(raw, here, 2);
      const element = value(pair[0], `${here}[0]`);
      const key = canonicalKey(element);
      if (elements.has(key)) fail(here, `${describeValue(element)} appears twice`);
      const dots = this.dots(pair[1], `${here}[1]`);
      if (dots.length > 0) elements.set(key, { value: element, dots });
    });
    return { live: this.dots(r['live'], `${at}.live`), elements };
  }

  register(v: unknown, at: string): RegisterEntry[] {
    return this.dotted(
      array(v, at),
      at,
      (raw, here) => {
        const pair = array(raw, here, 2);
        return { dot: this.dot(pair[0], `${here}[0]`), value: value(pair[1], `${here}[1]`) };
      },
      (e) => e.dot,
    );
  }

  map(v: unknown, at: string, depth: number): MapState {
    const r = record(v, at, ['live', 'fields']);
    return {
      live: this.dots(r['live'], `${at}.live`),
      fields: this.fields(r['fields'], `${at}.fields`, depth + 1),
    };
  }

  expiry(v: unknown, at: string): ExpiryEntry[] {
    return this.dotted(
      array(v, at),
      at,
      (raw, here) => {
        const pair = array(raw, here, 2);
        return { dot: this.dot(pair[0], `${here}[0]`), at: natural(pair[1], `${here}[1]`) };
      },
      (e) => e.dot,
    );
  }
}
