/**
 * # Sibling documents with dotted version vectors (`conflict: 'vector'`)
 *
 * Under the `vector` policy a key's value is a **vector state**: every write that no other write has
 * replaced, kept side by side as **siblings**, plus one version vector saying which writes the state has
 * seen. It follows dotted version vectors (Preguiça, Baquero, Almeida, Fonte, Gonçalves, "Dotted Version
 * Vectors: Logical Clocks for Optimistic Replication", 2010) in the shared-vector form of Riak 2.0's DVVSet
 * and of the causal-context dot stores of delta-state CRDTs (Almeida, Shoker, Baquero, 2018).
 *
 * ## The state (plain JSON, stored as the document value)
 *
 * ```json
 * { "dvv": 1,
 *   "vv": { "eu-west-1": 4, "us-east-1": 2 },
 *   "siblings": [ { "dot": ["eu-west-1", 4], "value": { "qty": 3 } },
 *                 { "dot": ["us-east-1", 2], "value": null } ] }
 * ```
 *
 * - `dvv` is the format version (always 1); it also tells a vector state from a plain document.
 * - Each write gets a **dot** `[replica, counter]`: the region that took it and that region's write count
 *   for this key. Only that region hands out its dots, one after another, so a dot names one write.
 * - `vv` (version vector) maps replica → counter and stands for the dots `(r, 1..vv[r])`: every write the
 *   state has seen. A seen dot that is not a sibling was replaced by a later write the state has also seen.
 * - `siblings` are sorted by dot (replica name, then counter); `value` is a JSON object, or `null` for a
 *   delete (a **tombstone** sibling). `vv` keys are sorted too, so equal states are equal strings.
 * - Every sibling's dot is covered by `vv`; a state names at most `MAX_REPLICAS` (32) replicas.
 *
 * ## The rules
 *
 * - **Read** returns the live siblings (tombstones hidden), their dots, and a **context**: the state's `vv`.
 *   It travels to the client and back in the `x-meridian-context` header as `c1.<base64url JSON>`. No live
 *   sibling but some tombstone means the document reads as **deleted**. An empty state has context `{}`.
 * - **Write** `write(state, context, value, replica)` at region `replica`: the new sibling gets dot
 *   `(replica, vv[replica] + 1)`; every sibling whose dot the context covers is removed (the client saw it,
 *   and its write replaces it); every sibling the context does not cover stays, because the client did not
 *   see it: it is concurrent. A client that sends the context of its last read therefore replaces exactly
 *   what it read, and two clients that read the same version and both write leave two siblings.
 * - **Blind write** (no context): it saw nothing, so it replaces nothing. Every existing sibling stays and the
 *   new value is one more sibling. Send the context to overwrite.
 * - **Delete** is a write of `null`: a tombstone sibling that replaces what the context covers. A delete
 *   concurrent with an update leaves both; reads show the update (the tombstone stays until a write with a
 *   covering context replaces it). A deleted document keeps its state: the `vv` is what stops an old copy
 *   from another region bringing the replaced versions back (drop it only once every region has it and no
 *   older copy is still in flight).
 * - A region writes onto **its own current state** only: its dots come from its own `vv` entry, so writing
 *   onto a copy that lacks the region's latest write would hand out a dot twice.
 * - **Merge** (replication): a sibling survives iff both states have it, or one has it and the other has not
 *   seen its dot; `vv` is the pointwise maximum. Order of delivery does not matter: merge is commutative,
 *   associative and idempotent, for any valid states. (Two states holding one dot with different values can
 *   only come from a bug or tampering; the merge then keeps the value with the smaller canonical JSON, so
 *   replicas still converge, and `mergeReport` counts it as a collision.)
 *
 * ## Whom the context is trusted to speak for
 *
 * The header is not signed, so by default a context is only used to pick which of the **writing region's
 * own** siblings the write replaces; it never enters the state's `vv` (the `vv` only ever grows by the dots
 * of real writes). A forged or garbled context can then replace nothing a read at that region would not have
 * let the client replace, and can never hide a write the region has not yet seen: **no write is lost**, for
 * any header. The price is one case of a spurious sibling: a client that reads at region A and writes at
 * region B before B has received what it read sees, once replication catches up, its new value next to the
 * old one (resolved by its next write with context). `contextAhead(state, context)` tells a region this is
 * about to happen, so it can wait for replication (as session reads do) or forward the write.
 *
 * With `{ trustContext: true }` (for contexts the server has authenticated, e.g. signed like session tokens)
 * the context also joins the state's `vv`, as in the DVV paper and Riak: the write then replaces what the
 * client saw even where it has not arrived yet, exactly. But a context claiming counters a region has not
 * reached makes the writes that region takes before it receives the claim, up to those counters, vanish at
 * the next merge (and a claim of 2^53 - 1 leaves it no counters for the key); never use it with an
 * unauthenticated header. Either way the writing region's own entry in the context is capped at its
 * own counter, so a new dot can never be one the state already counts as seen.
 *
 * ## Bounds
 *
 * - Metadata: one dot per sibling and one `vv` entry per replica that wrote (or, trusted, that a context
 *   named), whatever the number of clients: the point of DVVSet over per-client vectors.
 * - Siblings: call a write `(r, n)` **fresh** when n = 1 or its context covers `(r, n-1)`, region r's previous
 *   write (a read-modify-write against the same region, even with other regions' entries stale). Then every
 *   state has at most one sibling per replica that wrote plus one per non-fresh write it has seen:
 *   `siblings ≤ |{r : vv[r] > 0}| + |{seen non-fresh writes}|`. With only fresh writes: at most one sibling
 *   per region. Concurrent clients at one region (stale reads) or blind writes can each add one.
 *
 * Pure: no I/O, no clock, inputs are never mutated (outputs may share sibling values with inputs).
 */

import { ErrorCode, MeridianError } from '../core/errors.ts';
import { isJsonObject, type JsonObject } from '../core/json.ts';
import { parseContext, type Context } from './context.ts';
import { canonicalJson, jsonProblem } from './json-value.ts';
import {
  aheadOf,
  compareDots,
  compareVectors,
  counterOf,
  coversDot,
  isCounter,
  isReplicaName,
  joinVectors,
  MAX_REPLICAS,
  REPLICA_RE,
  vectorFrom,
  type Dot,
  type Ordering,
  type VersionVector,
} from './version-vector.ts';

export { CONTEXT_HEADER, MAX_CONTEXT_CHARS, decodeContext, encodeContext, parseContext } from './context.ts';
export type { Context } from './context.ts';
export { MAX_REPLICAS, REPLICA_RE, compareVectors, coversDot } from './version-vector.ts';
export type { Dot, Ordering, VersionVector } from './version-vector.ts';

/** One concurrent version: the write's dot and its value (`null`: a delete). */
export type Sibling = { dot: Dot; value: JsonObject | null };

/** The stored value of a key under the `vector` policy (plain JSON; see the header of this file). */
export type VectorState = { dvv: 1; vv: VersionVector; siblings: Sibling[] };

export type WriteOptions = {
  /**
   * Let the context join the state's version vector (exact DVV semantics across regions). Only for
   * contexts the server has authenticated: see "Whom the context is trusted to speak for". Default false.
   */
  trustContext?: boolean;
};

export type ReadResult = {
  /** The live siblings, by dot; empty when the document is absent or deleted. */
  siblings: Array<{ value: JsonObject; dot: Dot }>;
  /** What this read saw: send it back (`encodeContext`) with the next write. */
  context: Context;
  /** The dots of tombstone siblings (deletes not yet replaced). */
  tombstones: Dot[];
  /** True when there is no live sibling but at least one tombstone: the document was deleted. */
  deleted: boolean;
};

export type MergeReport = {
  state: VectorState;
  /** How `a.vv` relates to `b.vv`. */
  ordering: Ordering;
  /** The merge kept a sibling only `a` had and one only `b` had: the two sides wrote concurrently. */
  concurrent: boolean;
  /** Siblings in the merged state, tombstones included. */
  siblings: number;
  /** Siblings in the merged state that are not tombstones. */
  live: number;
  /** Siblings of either side dropped because the other side had seen them replaced. */
  superseded: number;
  /** Dots both sides held with different values (a bug or tampering); resolved deterministically. */
  collisions: number;
};

/** The state of a key never written: no siblings, nothing seen. */
export function emptyState(): VectorState {
  return { dvv: 1, vv: {}, siblings: [] };
}

/**
 * The state after region `replica` takes a write of `value` (`null` deletes) from a client that had read
 * `context` (`undefined`: a blind write, which replaces nothing). `state` must be `replica`'s own current
 * state (`undefined` for a new key): a region hands out its dots in order, so it must never write onto a
 * copy missing its own earlier writes.
 */
export function write(
  state: VectorState | undefined,
  context: Context | undefined,
  value: JsonObject | null,
  replica: string,
  options: WriteOptions = {},
): VectorState {
  const base = state ?? emptyState();
  if (!isReplicaName(replica)) {
    throw new MeridianError(
      ErrorCode.Internal,
      `replica name ${JSON.stringify(replica)} must match ${REPLICA_RE}`,
    );
  }
  if (value !== null && !isJsonObject(value)) {
    throw new MeridianError(
      ErrorCode.InvalidDocument,
      'a document must be a JSON object (or null to delete)',
    );
  }
  const seen = context === undefined ? undefined : parseContext(context, 'context');
  const counter = counterOf(base.vv, replica) + 1;
  if (!Number.isSafeInteger(counter)) {
    throw new MeridianError(ErrorCode.Internal, `replica ${replica} has no counters left for this document`);
  }
  const kept = seen === undefined ? base.siblings : base.siblings.filter((s) => !coversDot(seen, s.dot));
  const own = joinVectors(base.vv, { [replica]: counter });
  if (Object.keys(own).length > MAX_REPLICAS) {
    throw new MeridianError(
      ErrorCode.InvalidConfig,
      `more than ${MAX_REPLICAS} replicas would have written this document, the most the vector policy supports`,
      { details: { replica } },
    );
  }
  let vv = own;
  if (options.trustContext === true && seen !== undefined) {
    // The own entry is left out: this region knows its own writes, and a higher claim would cover the new dot.
    vv = joinVectors(own, vectorFrom(Object.entries(seen).filter(([r]) => r !== replica)));
    if (Object.keys(vv).length > MAX_REPLICAS) {
      throw new MeridianError(
        ErrorCode.BadRequest,
        `the context names replicas this document has never seen, more than ${MAX_REPLICAS} in all`,
      );
    }
  }
  return { dvv: 1, vv, siblings: sortSiblings([...kept, { dot: [replica, counter], value }]) };
}

/** The join of two states (what replication does): see `mergeReport` for what it decided. */
export function merge(a: VectorState | undefined, b: VectorState | undefined): VectorState {
  return mergeReport(a, b).state;
}

/**
 * Merges two states and reports what happened, for a conflict ledger. A sibling survives iff both sides
 * hold it, or one does and the other has not seen its dot; `vv` is the pointwise maximum.
 */
export function mergeReport(a: VectorState | undefined, b: VectorState | undefined): MergeReport {
  const left = a ?? emptyState();
  const right = b ?? emptyState();
  const rightByDot = new Map(right.siblings.map((s) => [dotKey(s.dot), s]));
  const leftDots = new Set(left.siblings.map((s) => dotKey(s.dot)));
  const siblings: Sibling[] = [];
  let onlyLeft = 0;
  let onlyRight = 0;
  let superseded = 0;
  let collisions = 0;
  for (const s of left.siblings) {
    const twin = rightByDot.get(dotKey(s.dot));
    if (twin !== undefined) {
      const chosen = pickValue(s, twin);
      if (chosen.collision) collisions++;
      siblings.push(chosen.sibling);
    } else if (!coversDot(right.vv, s.dot)) {
      siblings.push(s);
      onlyLeft++;
    } else {
      superseded++;
    }
  }
  for (const s of right.siblings) {
    if (leftDots.has(dotKey(s.dot))) continue;
    if (!coversDot(left.vv, s.dot)) {
      siblings.push(s);
      onlyRight++;
    } else {
      superseded++;
    }
  }
  const state: VectorState = { dvv: 1, vv: joinVectors(left.vv, right.vv), siblings: sortSiblings(siblings) };
  return {
    state,
    ordering: compareVectors(left.vv, right.vv),
    concurrent: onlyLeft > 0 && onlyRight > 0,
    siblings: siblings.length,
    live: siblings.filter((s) => s.value !== null).length,
    superseded,
    collisions,
  };
}

/** What a read returns: live siblings, the context to send back, and whether the document was deleted. */
export function read(state: VectorState | undefined): ReadResult {
  const s = state ?? emptyState();
  const siblings: ReadResult['siblings'] = [];
  const tombstones: Dot[] = [];
  for (const { dot, value } of s.siblings) {
    if (value === null) tombstones.push([dot[0], dot[1]]);
    else siblings.push({ value, dot: [dot[0], dot[1]] });
  }
  return {
    siblings,
    context: { ...s.vv },
    tombstones,
    deleted: siblings.length === 0 && tombstones.length > 0,
  };
}

/**
 * The part of `context` this region's state has not seen (`{}` when none). A default (untrusted) write with
 * a non-empty answer cannot replace the versions the client read elsewhere; the region may wait for
 * replication to catch up, forward the write, or accept the spurious sibling.
 */
export function contextAhead(state: VectorState | undefined, context: Context): Context {
  return aheadOf(parseContext(context, 'context'), (state ?? emptyState()).vv);
}

/** Whether `value` is a valid vector state (the shape `decodeState` accepts). */
export function isVectorState(value: unknown): value is VectorState {
  return stateProblem(value) === undefined;
}

/**
 * Checks an untrusted value (from storage, a peer, a request) and returns it as a vector state in canonical
 * order (siblings by dot, `vv` keys sorted: stores such as PostgreSQL jsonb reorder keys). Throws an
 * `invalid_document` MeridianError whose message gives the path of the first problem.
 */
export function decodeState(value: unknown): VectorState {
  const problem = stateProblem(value);
  if (problem !== undefined) {
    throw new MeridianError(ErrorCode.InvalidDocument, `vector state: ${problem}`);
  }
  const v = value as VectorState;
  return {
    dvv: 1,
    vv: vectorFrom(Object.entries(v.vv)),
    siblings: sortSiblings(v.siblings.map((s) => ({ dot: [s.dot[0], s.dot[1]], value: s.value }))),
  };
}

function stateProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'expected an object { dvv: 1, vv, siblings }';
  const extra = Object.keys(value).find((k) => k !== 'dvv' && k !== 'vv' && k !== 'siblings');
  if (extra !== undefined) return `unexpected field ${JSON.stringify(extra)}`;
  if (value['dvv'] !== 1) return `dvv: expected format version 1, got ${show(value['dvv'])}`;
  const vv = value['vv'];
  if (!isPlainObject(vv)) return 'vv: expected an object of replica name to counter';
  const replicas = Object.keys(vv);
  if (replicas.length > MAX_REPLICAS)
    return `vv: names ${replicas.length} replicas, more than ${MAX_REPLICAS}`;
  for (const r of replicas) {
    if (!isReplicaName(r)) return `vv: replica name ${show(r)} must match ${REPLICA_RE}`;
    if (!isCounter(vv[r])) return `vv.${r}: expected a positive safe integer, got ${show(vv[r])}`;
  }
  const siblings = value['siblings'];
  if (!Array.isArray(siblings)) return 'siblings: expected an array';
  const dots = new Set<string>();
  for (let i = 0; i < siblings.length; i++) {
    const s: unknown = siblings[i];
    const at = `siblings[${i}]`;
    if (!isPlainObject(s)) return `${at}: expected an object { dot, value }`;
    const extraKey = Object.keys(s).find((k) => k !== 'dot' && k !== 'value');
    if (extraKey !== undefined) return `${at}: unexpected field ${JSON.stringify(extraKey)}`;
    const dot = s['dot'];
    if (!Array.isArray(dot) || dot.length !== 2) return `${at}.dot: expected [replica, counter]`;
    const [r, n] = dot as unknown[];
    if (!isReplicaName(r)) return `${at}.dot[0]: replica name ${show(r)} must match ${REPLICA_RE}`;
    if (!isCounter(n)) return `${at}.dot[1]: expected a positive safe integer, got ${show(n)}`;
    if (counterOf(vv as VersionVector, r) < n) {
      return `${at}.dot: [${show(r)}, ${n}] is not covered by vv (${r}: ${counterOf(vv as VersionVector, r)})`;
    }
    const key = dotKey([r, n]);
    if (dots.has(key)) return `${at}.dot: [${show(r)}, ${n}] appears twice`;
    dots.add(key);
    if (!Object.hasOwn(s, 'value')) return `${at}.value: missing (use null for a delete)`;
    const v = s['value'];
    if (v !== null) {
      if (!isPlainObject(v)) return `${at}.value: expected a JSON object, or null for a delete`;
      const problem = jsonProblem(v, `${at}.value`);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

function pickValue(x: Sibling, y: Sibling): { sibling: Sibling; collision: boolean } {
  if (x.value === y.value) return { sibling: x, collision: false };
  const rawX = JSON.stringify(x.value);
  const rawY = JSON.stringify(y.value);
  if (rawX === rawY) return { sibling: x, collision: false };
  // Same dot, different bytes: order by canonical JSON, then by the raw bytes, so every replica picks alike.
  const canonX = canonicalJson(x.value);
  const canonY = canonicalJson(y.value);
  const xFirst = canonX < canonY || (canonX === canonY && rawX < rawY);
  return { sibling: xFirst ? x : y, collision: canonX !== canonY };
}

function sortSiblings(siblings: Sibling[]): Sibling[] {
  return siblings.sort((p, q) => compareDots(p.dot, q.dot));
}

function dotKey(dot: Dot): string {
  // Replica names cannot contain ':', so this is unambiguous.
  return `${dot[0]}:${dot[1]}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
