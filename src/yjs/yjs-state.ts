// A Yjs document's merged state as plain bytes: merge, diff and encode it without keeping a Y.Doc.
//
// A state is a Yjs v1 update (what `Y.encodeStateAsUpdate` writes) holding everything known about
// one document. Merging states is Yjs's own `mergeUpdates`: commutative, associative and idempotent
// in content, so replicas that merged the same updates in any order hold the same document. The
// bytes may differ (structs split at different points); `compactState` gives one canonical form.
//
// Why no Y.Doc on the hot path: `mergeUpdates`/`diffUpdate`/`encodeStateVectorFromUpdate` only
// decode and re-encode structs (about 12 ms for the 104,852-character automerge-paper document on a
// busy 2-core box, against about 30 ms to load it into a Y.Doc, apply and encode). But a merged
// update never garbage-collects deleted content nor joins one-character items into runs the way a
// Y.Doc does: the same paper as 259,778 merged keystroke updates is 3.4 MB, against 311 KB from
// `compactState`, and merging into it takes 400 ms. Callers that merge many small updates into one
// state should compact it now and then (the memory port does when it has doubled).

import * as Y from 'yjs';
import { MeridianError } from '../core/errors.ts';

/** A Yjs v1 update that holds a document's merged state. */
export type YjsState = Uint8Array;

/** The JSON value a `conflict: 'yjs'` record stores: the state, base64. */
export interface EncodedYjsState {
  readonly yjs: string;
}

const EMPTY = [0, 0]; // no structs, empty delete set: Y.encodeStateAsUpdate(new Y.Doc())

/** The state of a document nobody has written to. */
export function emptyState(): YjsState {
  return Uint8Array.from(EMPTY);
}

/**
 * Throws MeridianError('invalid_document') unless `update` decodes as a Yjs v1 update. The check is
 * structural (every struct, every content and the delete set parse); like Yjs itself it ignores
 * bytes after the delete set, and cannot tell whether the items make sense in the document.
 */
export function validateUpdate(update: Uint8Array, what = 'update'): void {
  guard(`${what} (${update.length} bytes)`, () => Y.decodeUpdate(update));
}

/** True when `update` adds nothing: no structs and an empty delete set. */
export function isEmptyUpdate(update: Uint8Array): boolean {
  if (update.length === 2 && update[0] === 0 && update[1] === 0) return true;
  const { structs, ds } = guard(`update (${update.length} bytes)`, () => Y.decodeUpdate(update));
  return structs.length === 0 && ds.clients.size === 0;
}

/** `state` with `update` merged in. Throws MeridianError('invalid_document') for a malformed update. */
export function applyUpdate(state: YjsState, update: Uint8Array): YjsState {
  validateUpdate(update);
  return guard(`state (${state.length} bytes)`, () => Y.mergeUpdates([state, update]));
}

/** The union of two states (either order gives the same document). */
export function mergeStates(a: YjsState, b: YjsState): YjsState {
  return guard(`states (${a.length} and ${b.length} bytes)`, () => Y.mergeUpdates([a, b]));
}

/** The encoded state vector of `state` (what a y-websocket sync step 1 carries). */
export function stateVector(state: YjsState): Uint8Array {
  return guard(`state (${state.length} bytes)`, () => Y.encodeStateVectorFromUpdate(state));
}

/** Throws MeridianError('invalid_document') unless `vector` decodes as an encoded state vector. */
export function validateStateVector(vector: Uint8Array): void {
  guard(`state vector (${vector.length} bytes)`, () => Y.decodeStateVector(vector));
}

/** What a replica whose state vector is `vector` lacks of `state`, as an update (sync step 2). */
export function diff(state: YjsState, vector: Uint8Array): Uint8Array {
  validateStateVector(vector);
  return guard(`state (${state.length} bytes)`, () => Y.diffUpdate(state, vector));
}

/**
 * The canonical, garbage-collected form of `state`: loaded into a Y.Doc and encoded again. Equal
 * documents compact to equal bytes whatever order their updates were merged in.
 */
export function compactState(state: YjsState): YjsState {
  return withDoc(state, (doc) => Y.encodeStateAsUpdate(doc));
}

/** Whether two states hold the same document (compares canonical forms: costs two Y.Doc loads). */
export function sameDocument(a: YjsState, b: YjsState): boolean {
  return Buffer.from(compactState(a)).equals(compactState(b));
}

/** The text of the document's root `Y.Text` called `name`, for tests and benchmarks. */
export function toText(state: YjsState, name = 'text'): string {
  return withDoc(state, (doc) => doc.getText(name).toJSON());
}

/** The JSON value to store for `state`. */
export function encodeState(state: YjsState): EncodedYjsState {
  return { yjs: Buffer.from(state.buffer, state.byteOffset, state.byteLength).toString('base64') };
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The state held by a stored JSON value, which must be exactly `{ "yjs": "<base64>" }`. Checks the
 * shape and the base64, not the update inside (call `validateUpdate` on bytes from untrusted hands).
 */
export function decodeState(value: unknown): YjsState {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`expected a Yjs document as {"yjs": "<base64 update>"}, got ${describe(value)}`);
  }
  const keys = Object.keys(value);
  const extra = keys.filter((k) => k !== 'yjs');
  if (extra.length > 0) {
    throw invalid(`a Yjs document value holds only "yjs": remove ${extra.map((k) => `"${k}"`).join(', ')}`);
  }
  const text = (value as { yjs?: unknown }).yjs;
  if (typeof text !== 'string') throw invalid(`"yjs" must be a base64 string, got ${describe(text)}`);
  if (!BASE64_RE.test(text)) throw invalid('"yjs" is not standard padded base64');
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length === 0) throw invalid('"yjs" is empty: an empty document is "AAA=" (two zero bytes)');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function withDoc<T>(state: YjsState, read: (doc: Y.Doc) => T): T {
  const doc = new Y.Doc();
  try {
    guard(`state (${state.length} bytes)`, () => Y.applyUpdate(doc, state));
    return read(doc);
  } finally {
    doc.destroy();
  }
}

// Yjs reports malformed input with whatever the decoder tripped on ("Unexpected end of array",
// "contentRefs[...] is not a function"): say what was malformed, keep Yjs's words as the cause.
function guard<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof MeridianError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new MeridianError('invalid_document', `malformed Yjs ${what}: ${reason}`, { cause: err });
  }
}

function invalid(message: string): MeridianError {
  return new MeridianError('invalid_document', message);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : typeof value;
}
