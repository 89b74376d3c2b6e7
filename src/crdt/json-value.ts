// JSON values carried inside CRDT fields (set elements, register values): validated with a depth limit and
// put in one canonical form (object keys sorted, no -0), so that equal values have one identity everywhere.

import type { Json } from '../core/json.ts';

/** Deepest nesting accepted inside a value; deeper input (or a cycle) is refused, not recursed into. */
export const MAX_VALUE_DEPTH = 64;

export type JsonCheck =
  | { readonly ok: true; readonly value: Json }
  | { readonly ok: false; readonly at: string; readonly problem: string };

class Problem extends Error {
  constructor(
    readonly at: string,
    readonly problem: string,
  ) {
    super(problem);
  }
}

/**
 * A canonical, deeply frozen copy of `input`, or where and why it is not JSON. Object keys are sorted by
 * UTF-16 code unit and -0 becomes 0 (JSON cannot tell them apart), so {b:1,a:2} and {a:2,b:1} are one set
 * element. Frozen because states share these values with what materialize returns.
 */
export function canonicalJson(input: unknown): JsonCheck {
  try {
    return { ok: true, value: canon(input, '', 0) };
  } catch (err) {
    if (err instanceof Problem) return { ok: false, at: err.at, problem: err.problem };
    throw err;
  }
}

function canon(v: unknown, at: string, depth: number): Json {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Problem(at, `expected a finite number, got ${String(v)}`);
    return Object.is(v, -0) ? 0 : v;
  }
  if (typeof v !== 'object') throw new Problem(at, `${describeValue(v)} is not a JSON value`);
  if (depth >= MAX_VALUE_DEPTH) throw new Problem(at, `nested deeper than ${MAX_VALUE_DEPTH} levels`);
  if (Array.isArray(v)) {
    const out: Json[] = [];
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) throw new Problem(`${at}[${i}]`, 'an array hole is not a JSON value');
      out.push(canon(v[i], `${at}[${i}]`, depth + 1));
    }
    Object.freeze(out);
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    throw new Problem(at, `expected a plain object, got ${describeValue(v)}`);
  }
  const record = v as Record<string, unknown>;
  // fromEntries defines own properties, so a key named "__proto__" stays data and never sets a prototype.
  return Object.freeze(
    Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((k) => [k, canon(record[k], `${at}${memberPath(k)}`, depth + 1)]),
    ),
  );
}

/** The identity of a canonical value: its JSON text (key order is fixed by the engine for a given key set). */
export function canonicalKey(value: Json): string {
  return JSON.stringify(value);
}

function rank(v: Json): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return 1;
  if (typeof v === 'number') return 2;
  if (typeof v === 'string') return 3;
  return Array.isArray(v) ? 4 : 5;
}

/**
 * The order sets are listed in: null, booleans, numbers, strings, arrays, objects; numbers numerically,
 * strings by UTF-16 code unit, arrays and objects by their canonical text (`aKey`/`bKey` from canonicalKey).
 */
export function compareJson(a: Json, aKey: string, b: Json, bKey: string): number {
  const byRank = rank(a) - rank(b);
  if (byRank !== 0) return byRank;
  if (typeof a === 'boolean' || typeof a === 'number') return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return aKey < bKey ? -1 : aKey > bKey ? 1 : 0;
}

/** `.name` for identifier-like keys, `["odd key"]` otherwise: the path notation of error messages. */
export function memberPath(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** A short description of a value for error messages: never the whole of a large input. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return v.length > 40 ? `a string "${v.slice(0, 37)}..."` : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') {
    const name = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return `a ${typeof v}`;
}
