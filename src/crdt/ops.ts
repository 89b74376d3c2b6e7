// The ops a client sends to change a CRDT document, and their validation: untrusted JSON in, a typed,
// canonical, frozen list out, or a CrdtOpError naming the op index and field.

import type { Json } from '../core/json.ts';
import { closest } from '../core/suggest.ts';
import { CrdtOpError } from './errors.ts';
import { canonicalJson, describeValue, memberPath } from './json-value.ts';

/** Field names from the document root down. `[]` is the document itself (only for delete and expire). */
export type Path = readonly string[];

/** Adds `by` (a positive safe integer, default 1) to a counter, creating it at 0 if absent. */
export interface IncrementOp {
  readonly op: 'increment';
  readonly path: Path;
  readonly by?: number;
}
/** Subtracts `by` (a positive safe integer, default 1) from a counter, creating it at 0 if absent. */
export interface DecrementOp {
  readonly op: 'decrement';
  readonly path: Path;
  readonly by?: number;
}
/** Adds a JSON value to a set, creating the set if absent. */
export interface AddOp {
  readonly op: 'add';
  readonly path: Path;
  readonly value: Json;
}
/** Removes a value from a set, as far as this replica has seen it added. A no-op if absent. */
export interface RemoveOp {
  readonly op: 'remove';
  readonly path: Path;
  readonly value: Json;
}
/** Writes a register (any JSON value, stored whole), creating it if absent. */
export interface SetOp {
  readonly op: 'set';
  readonly path: Path;
  readonly value: Json;
}
/** Deletes a field of any type (observed-remove); `[]` clears the whole document. A no-op if absent. */
export interface DeleteOp {
  readonly op: 'delete';
  readonly path: Path;
}
/** Makes a field (or, with `[]`, the document) expire at `at` ms since the epoch, unless it already lives longer. */
export interface ExpireOp {
  readonly op: 'expire';
  readonly path: Path;
  readonly at: number;
}

export type Op = IncrementOp | DecrementOp | AddOp | RemoveOp | SetOp | DeleteOp | ExpireOp;
export type OpName = Op['op'];

export const OP_NAMES: readonly OpName[] = [
  'increment',
  'decrement',
  'add',
  'remove',
  'set',
  'delete',
  'expire',
];

/** Bounds on one request. */
export const OP_LIMITS = Object.freeze({
  /** Ops in one request (one atomic batch). */
  maxOps: 1000,
  /** Field names in a path: how deep maps may nest. */
  maxPathLength: 32,
  /** UTF-16 code units in one field name. */
  maxNameLength: 1024,
});

const FIELDS_OF: Record<OpName, readonly string[]> = {
  increment: ['op', 'path', 'by'],
  decrement: ['op', 'path', 'by'],
  add: ['op', 'path', 'value'],
  remove: ['op', 'path', 'value'],
  set: ['op', 'path', 'value'],
  delete: ['op', 'path'],
  expire: ['op', 'path', 'at'],
};

/** "increment at ["likes"]": how messages name an op. */
export function describeOp(op: Op): string {
  return `${op.op} at ${JSON.stringify(op.path)}`;
}

/**
 * Checks an untrusted op list (the `ops` array of a request body) and returns it typed and canonical:
 * `by` filled in, values with sorted keys, everything frozen. Throws CrdtOpError (invalid_op) naming the
 * first problem, e.g. `ops[1].by: expected a positive safe integer, got -2`.
 */
export function validateOps(input: unknown): readonly Op[] {
  if (!Array.isArray(input)) throw invalid('ops', `expected an array of ops, got ${describeValue(input)}`);
  if (input.length === 0) throw invalid('ops', 'expected at least one op');
  if (input.length > OP_LIMITS.maxOps) {
    throw invalid('ops', `${input.length} ops in one request; at most ${OP_LIMITS.maxOps} are allowed`);
  }
  return Object.freeze(input.map((raw: unknown, i) => validateOp(raw, i)));
}

function validateOp(raw: unknown, i: number): Op {
  const at = `ops[${i}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(at, `expected an op object, got ${describeValue(raw)}`, i);
  }
  const record = raw as Record<string, unknown>;
  const name = record['op'];
  if (typeof name !== 'string' || !(OP_NAMES as readonly string[]).includes(name)) {
    const hint = typeof name === 'string' ? suggestion(name, OP_NAMES) : '';
    throw invalid(`${at}.op`, `expected one of ${OP_NAMES.join(', ')}, got ${describeValue(name)}${hint}`, i);
  }
  const op = name as OpName;
  const allowed = FIELDS_OF[op];
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) {
      throw invalid(`${at}${memberPath(key)}`, `unknown field for ${op}${suggestion(key, allowed)}`, i);
    }
  }
  const path = validatePath(record['path'], i, op === 'delete' || op === 'expire');
  switch (op) {
    case 'increment':
    case 'decrement':
      return Object.freeze({ op, path, by: validateBy(record, i) });
    case 'add':
    case 'remove':
    case 'set':
      return Object.freeze({ op, path, value: validateValue(record, i) });
    case 'delete':
      return Object.freeze({ op, path });
    case 'expire':
      return Object.freeze({ op, path, at: validateAt(record, i) });
  }
}

function validatePath(raw: unknown, i: number, rootAllowed: boolean): Path {
  const at = `ops[${i}].path`;
  if (!Array.isArray(raw))
    throw invalid(at, `expected an array of field names, got ${describeValue(raw)}`, i);
  if (raw.length === 0 && !rootAllowed) {
    throw invalid(at, 'expected at least one field name: the document itself is a map, not a value', i);
  }
  if (raw.length > OP_LIMITS.maxPathLength) {
    throw invalid(at, `${raw.length} field names; maps nest at most ${OP_LIMITS.maxPathLength} deep`, i);
  }
  const path: string[] = [];
  for (let k = 0; k < raw.length; k++) {
    const part: unknown = raw[k];
    if (typeof part !== 'string')
      throw invalid(`${at}[${k}]`, `expected a string, got ${describeValue(part)}`, i);
    if (part.length > OP_LIMITS.maxNameLength) {
      throw invalid(`${at}[${k}]`, `field name longer than ${OP_LIMITS.maxNameLength} characters`, i);
    }
    path.push(part);
  }
  return Object.freeze(path);
}

function validateBy(record: Record<string, unknown>, i: number): number {
  const by = record['by'];
  if (by === undefined) return 1;
  if (typeof by !== 'number' || !Number.isSafeInteger(by) || by <= 0) {
    throw invalid(`ops[${i}].by`, `expected a positive safe integer, got ${describeValue(by)}`, i);
  }
  return by;
}

function validateAt(record: Record<string, unknown>, i: number): number {
  const at = record['at'];
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) {
    throw invalid(
      `ops[${i}].at`,
      `expected a time in milliseconds since the epoch (a non-negative safe integer), got ${describeValue(at)}`,
      i,
    );
  }
  return at;
}

function validateValue(record: Record<string, unknown>, i: number): Json {
  if (!('value' in record)) throw invalid(`ops[${i}].value`, 'missing: expected a JSON value', i);
  const checked = canonicalJson(record['value']);
  if (!checked.ok) throw invalid(`ops[${i}].value${checked.at}`, checked.problem, i);
  return checked.value;
}

function suggestion(input: string, candidates: readonly string[]): string {
  const best = closest(input, candidates);
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

function invalid(at: string, problem: string, opIndex?: number): CrdtOpError {
  return new CrdtOpError('invalid_op', `${at}: ${problem}`, opIndex === undefined ? {} : { opIndex });
}
