// JSON documents whose fields are CRDTs: the public API of src/crdt. Pure: no I/O, no clock, no randomness.

/**
 * # CRDT documents
 *
 * A CRDT document is a JSON object whose fields are counters, sets, registers and nested maps. Regions
 * change their copies independently with ops and exchange whole states; `merge` combines two states into
 * one that contains every write of both, so every region that has received the same writes shows the
 * same document, whatever the order, grouping or repetition of the merges (merge is commutative,
 * associative and idempotent). It is a state-based CRDT (Shapiro, Preguiça, Baquero, Zawirski,
 * "Conflict-free Replicated Data Types", SSS 2011) built on dots and causal contexts as in Almeida, Shoker,
 * Baquero, "Delta State Replicated Data Types" (JPDC 2018).
 *
 * ## Use
 *
 * ```ts
 * let doc = emptyDocument();
 * doc = applyOps(doc, validateOps(body.ops), { replica: 'us-east-1', timestamp: version, now });
 * store(encode(doc));                       // plain JSON, round-trips through JSON.stringify/parse
 * doc = merge(doc, decode(remoteValue));    // replication: join with another region's state
 * materialize(doc, now);                    // { likes: 3, tags: ['red'], profile: { name: 'Ann' } }
 * ```
 *
 * ## Ops (the body of `POST /v1/collections/{c}/docs/{k}/ops` is `{ "ops": [op, ...] }`)
 *
 * A request is a list of 1 to 1000 ops, applied in order and atomically: `applyOps` returns the new state
 * or throws and changes nothing. `path` is a list of field names from the root (at most 32); `[]` is the
 * document itself and is allowed only for `delete` and `expire`.
 *
 * | op                                                             | effect                                        |
 * | -------------------------------------------------------------- | --------------------------------------------- |
 * | `{ "op": "increment", "path": ["likes"], "by": 2 }`            | counter += by (a positive integer, default 1) |
 * | `{ "op": "decrement", "path": ["likes"], "by": 1 }`            | counter -= by                                 |
 * | `{ "op": "add", "path": ["tags"], "value": "red" }`            | add any JSON value to a set                   |
 * | `{ "op": "remove", "path": ["tags"], "value": "red" }`         | remove it, as far as this region has seen it  |
 * | `{ "op": "set", "path": ["profile", "name"], "value": "Ann" }` | write a register (any JSON value, whole)      |
 * | `{ "op": "delete", "path": ["profile", "name"] }`              | delete a field of any type; `[]` clears all   |
 * | `{ "op": "expire", "path": [], "at": 1750000000000 }`          | expire the field or document at `at` (ms)     |
 *
 * Writes (increment, decrement, add, set) create the field and any missing maps on the path. A write must
 * match the type the field shows (incrementing a set is a `type_mismatch` error; delete the field first
 * to change its type); `remove` and `delete` of a missing field do nothing; `expire` of a missing field is
 * a `missing_field` error. Errors are `CrdtOpError`s whose message names the op, e.g.
 * `ops[1] (add at ["likes"]): field ["likes"] is a counter, not a set; delete it first to give it another type`.
 *
 * ## Rules
 *
 * - **Dots.** The op at index i of a request gets the dot (replica, timestamp, i): the region, the write's
 *   HLC version, the index. Each field records the dots of the writes that made its current content; the
 *   state's causal context records, per replica, the largest (timestamp, index) it has seen. When one state
 *   holds a dot and the other has seen it but no longer holds it, the dot was removed: it stays removed.
 *   A dot one state holds and the other has not seen is a concurrent write: it is kept. Hence a region must apply each request to its
 *   latest stored state, with a timestamp larger than its previous write's (`stale_timestamp` otherwise).
 * - **Counter**: a PN-counter, per replica the cumulative increments and decrements. Value = sum over
 *   replicas of (increments - decrements), not counting what deletes removed (below).
 * - **Set**: add-wins observed-remove set (OR-set). Each element carries the dots of its adds; `remove`
 *   drops the dots this region has seen. A concurrent add and remove keep the element; a remove after
 *   seeing the add removes it. Re-adding replaces the element's dots with one new dot.
 * - **Register**: last writer wins. A write replaces the register's entries it has seen; entries written
 *   concurrently are all kept, and the one with the greatest (timestamp, replica, index) is shown. With
 *   HLC timestamps this is exactly last-writer-wins; were a clock behind, a write that saw another would
 *   still replace it.
 * - **Map**: named fields, each of any type, nested to 32 levels. A map exists while it has a live write:
 *   deleting its last field leaves `{}`.
 * - **Delete (map keys): add-wins, observed-remove.** A delete removes everything of the field that this
 *   region has seen, all types and nested fields included, and its expiry. Writes made concurrently (dots
 *   the deleting region had not seen) survive: the field comes back with only those writes. For counters
 *   the delete raises per-replica floors to the totals it saw, so a concurrent increment comes back as just
 *   its own amount. Floors stay as small tombstones, so a deleted counter's field keeps a few numbers.
 * - **Type conflicts.** Each field keeps one component per type (counter, set, register, map), each merged
 *   on its own, so no write is lost. A field shows the type whose latest live write has the greatest
 *   (timestamp, replica, index); the others stay hidden. The next write to the field (of the shown type)
 *   deletes the hidden ones as far as that region has seen them, so the conflict settles.
 * - **Expiry: the longest wins.** `expire` sets when a field (or with `[]` the document) expires; the
 *   largest `at` among the expire writes still live wins (merge takes the maximum), so an expire can
 *   extend but never shorten a time-to-live; deleting the field removes its expiry.
 *   `materialize(state, now)` leaves out fields with `at <= now` and returns null for an expired
 *   document; without `now`, nothing counts as expired. `applyOps` with `now` treats expired fields (and an expired document) as absent:
 *   a write to one deletes its old content first and starts afresh.
 *
 * ## Materialized JSON
 *
 * Counters are numbers, sets arrays, registers their value, maps objects with keys in code-unit order.
 * Sets are listed as null, false, true, numbers (ascending), strings (UTF-16 code-unit order), arrays,
 * objects (by canonical JSON text: object keys sorted). Values are canonical: object keys sorted, -0 is 0.
 * Set elements and register values are shared with the state and deeply frozen; the objects of maps are
 * fresh on every call.
 *
 * ## Stored state (`encode`/`decode`, format version 1)
 *
 * ```
 * { "crdt": 1,
 *   "cc": { "<replica>": ["<timestamp>", <index>] },          // causal context
 *   "fields": { "<name>": Slot },
 *   "expiry": [[Dot, <at ms>]]                                 // document expiry; omitted when empty
 * }
 * Dot  = ["<replica>", "<timestamp>", <index>]
 * Slot = { "counter"?:  { "live": [Dot], "totals": { "<replica>": [incs, decs, deletedIncs, deletedDecs] } },
 *          "set"?:      { "live": [Dot], "elements": [[<value>, [Dot]]] },
 *          "register"?: [[Dot, <value>]],
 *          "map"?:      { "live": [Dot], "fields": { "<name>": Slot } },
 *          "expiry"?:   [[Dot, <at ms>]] }
 * ```
 *
 * `live` lists the dots of the latest writes to a component: a component with none does not show (it
 * may still hold tombstones). Keys and lists are sorted, so equal states encode to identical JSON. `decode`
 * checks everything: shapes, types, safe integers, that every dot is covered by `cc`, at most one dot per
 * replica in any list, no duplicate set elements, nesting depth; it throws `CrdtStateError` naming the
 * JSON path of the first problem, e.g. `invalid CRDT state at state.fields.likes.counter.live[0][2]: ...`.
 */

import type { JsonObject } from '../core/json.ts';
import { applyOpsToState, type ApplyContext } from './apply.ts';
import { decodeState, encodeState } from './codec.ts';
import { materializeState, documentExpiresAt } from './materialize.ts';
import { mergeStates } from './merge.ts';
import type { Op } from './ops.ts';
import { emptyState, type DocState } from './state.ts';

export type { ApplyContext } from './apply.ts';
export { STATE_FORMAT_VERSION } from './codec.ts';
export { CrdtOpError, CrdtOpReason, CrdtStateError } from './errors.ts';
export type {
  AddOp,
  DecrementOp,
  DeleteOp,
  ExpireOp,
  IncrementOp,
  Op,
  OpName,
  Path,
  RemoveOp,
  SetOp,
} from './ops.ts';
export { OP_LIMITS, OP_NAMES, validateOps } from './ops.ts';

/** A document state. Treat it as opaque and immutable: change it only through these functions. */
export type CrdtDocument = DocState;

/** A document with no fields, no expiry and no history. */
export function emptyDocument(): CrdtDocument {
  return emptyState();
}

/** Applies a request's ops at one replica, atomically; throws CrdtOpError and leaves `state` unchanged. */
export function applyOps(state: CrdtDocument, ops: readonly Op[], ctx: ApplyContext): CrdtDocument {
  return applyOpsToState(state, ops, ctx);
}

/** The join of two states: commutative, associative, idempotent; linear in their size. */
export function merge(a: CrdtDocument, b: CrdtDocument): CrdtDocument {
  return mergeStates(a, b);
}

/** The document as plain JSON at `nowMs` (null once expired); without `nowMs` nothing counts as expired. */
export function materialize(state: CrdtDocument, nowMs?: number): JsonObject | null {
  return materializeState(state, nowMs);
}

/** When the document expires (the longest `expire` on `[]` still live), if ever: for the store's purge. */
export function expiresAt(state: CrdtDocument): number | undefined {
  return documentExpiresAt(state);
}

/** The state as canonical plain JSON, for storage and replication. */
export function encode(state: CrdtDocument): JsonObject {
  return encodeState(state);
}

/** A state from untrusted JSON (an encoded state); throws CrdtStateError naming the first problem. */
export function decode(input: unknown): CrdtDocument {
  return decodeState(input);
}
