// How documents of each conflict policy are written and shown: sibling states answer 300 with every
// sibling and a causal context, CRDT documents change through operations and read as their plain JSON,
// resolver collections show unresolvable versions as siblings. Last-write-wins documents are plain JSON.

import { MeridianError } from '../core/errors.ts';
import type { JsonObject } from '../core/json.ts';
import { conflictRule, type CollectionConfig, type ConflictRule } from '../config/schema.ts';
import type { ConflictResolver } from '../conflict/resolver-check.ts';
import * as vector from '../conflict/vector-state.ts';
import * as crdt from '../crdt/index.ts';
import type { DocRecord, StoredJson } from '../store/store.ts';
import * as yjs from '../yjs/yjs-state.ts';
import { asCrdtState, asVectorState, asYjsState, resolveSiblings } from './conflict-policies.ts';

/** A stored document as a read answers it. */
export interface Presented {
  /** 200: one value; 300: siblings to choose from; 404: absent or deleted. */
  readonly status: 200 | 300 | 404;
  readonly json: string;
  /** vector: the causal context to send back with the next write (x-meridian-context). */
  readonly context?: string;
}

/** Which document a read shows, in a collection with `policy`. */
export interface Shown {
  readonly policy: CollectionConfig;
  readonly collection: string;
  readonly key: string;
}

const NOT_FOUND: Presented = { status: 404, json: 'null' };

export function present(shown: Shown, stored: StoredJson, nowMs: number): Presented {
  const rule = conflictRule(shown.policy);
  if (stored.json === null) return NOT_FOUND;
  if (rule === 'lww' || rule === 'yjs') return { status: 200, json: stored.json };
  const value = JSON.parse(stored.json) as JsonObject;
  switch (rule) {
    case 'vector': {
      const read = vector.read(asVectorState({ value, origin: stored.origin }));
      const context = vector.encodeContext(read.context);
      if (read.siblings.length === 0) return { ...NOT_FOUND, context };
      if (read.siblings.length === 1) {
        return { status: 200, json: JSON.stringify(read.siblings[0]!.value), context };
      }
      return { status: 300, json: JSON.stringify({ siblings: read.siblings, context }), context };
    }
    case 'crdt': {
      const state = asCrdtState({ value, origin: stored.origin, version: stored.version });
      const doc = crdt.materialize(state, nowMs);
      return doc === null ? NOT_FOUND : { status: 200, json: JSON.stringify(doc) };
    }
    case 'resolver': {
      const { siblings } = vector.read(asVectorState({ value, origin: stored.origin }));
      if (siblings.length === 0) return NOT_FOUND;
      if (siblings.length === 1) return { status: 200, json: JSON.stringify(siblings[0]!.value) };
      const resolver = shown.policy.conflict as ConflictResolver;
      const resolved = resolveSiblings(resolver, shown.collection, shown.key, siblings);
      // A resolver that throws leaves the versions side by side: the next write replaces them.
      return resolved === undefined
        ? { status: 300, json: JSON.stringify({ siblings }) }
        : { status: 200, json: JSON.stringify(resolved) };
    }
  }
}

/** A document's value as a listing shows it (siblings as `{ siblings }`, CRDT documents plain). */
export function presentValue(shown: Shown, record: DocRecord, nowMs: number): JsonObject | null {
  const stored = {
    version: record.version,
    origin: record.origin,
    originSeq: record.originSeq,
    json: record.value === null ? null : JSON.stringify(record.value),
  };
  const out = present(shown, stored, nowMs);
  return out.status === 404 ? null : (JSON.parse(out.json) as JsonObject);
}

export type WriteOp =
  | { readonly kind: 'put'; readonly value: JsonObject }
  | { readonly kind: 'delete' }
  | { readonly kind: 'ops'; readonly ops: unknown }
  | { readonly kind: 'yjs'; readonly update: Uint8Array };

/**
 * The read-modify-write a write makes under the collection's policy, or undefined for a plain write
 * (last-write-wins and resolver collections). Throws 400 for a write the policy does not take.
 */
export function policyWrite(
  rule: ConflictRule,
  op: WriteOp,
  options: { readonly region: string; readonly context?: string; readonly nowMs: number },
): ((current: DocRecord | undefined, stamp: string) => JsonObject | null) | undefined {
  if (op.kind === 'yjs' && rule !== 'yjs') {
    throw new MeridianError(
      'bad_request',
      `Yjs updates are for conflict: 'yjs' collections; this one is ${rule}`,
    );
  }
  if (op.kind === 'ops' && rule !== 'crdt') {
    throw new MeridianError(
      'bad_request',
      `operations are for conflict: 'crdt' collections; this one is ${rule}: PUT the document`,
    );
  }
  if (options.context !== undefined && rule !== 'vector') {
    throw new MeridianError(
      'bad_request',
      `x-meridian-context is for conflict: 'vector' collections; this one is ${rule}`,
    );
  }
  switch (rule) {
    case 'lww':
      return undefined;
    case 'resolver': {
      // A write replaces everything its region holds of the document (what a read here would show).
      const value = op.kind === 'put' ? op.value : null;
      return (current) => {
        const state = asVectorState(current);
        return vector.write(state, vector.read(state).context, value, options.region);
      };
    }
    case 'vector': {
      const context = options.context === undefined ? undefined : vector.decodeContext(options.context);
      const value = op.kind === 'put' ? op.value : null;
      return (current) => vector.write(asVectorState(current), context, value, options.region);
    }
    case 'crdt': {
      if (op.kind === 'put') {
        throw new MeridianError(
          'bad_request',
          'a conflict: \'crdt\' document changes through operations: POST .../docs/{key}/ops with {"ops": [...]} (see docs/API.md)',
        );
      }
      const ops = crdt.validateOps(
        op.kind === 'ops' ? (op.ops as { ops?: unknown } | null)?.ops : [{ op: 'delete', path: [] }],
      );
      return (current, stamp) =>
        crdt.encode(
          crdt.applyOps(asCrdtState(current), ops, {
            replica: options.region,
            timestamp: stamp,
            now: options.nowMs,
          }),
        );
    }
    case 'yjs': {
      if (op.kind !== 'yjs') {
        throw new MeridianError(
          'bad_request',
          "a conflict: 'yjs' document changes through Yjs updates: POST .../docs/{key}/yjs (application/octet-stream) or the WebSocket at /v1/collections/{c}/yjs/{key} (see docs/API.md)",
        );
      }
      yjs.validateUpdate(op.update);
      return (current) =>
        yjs.encodeState(
          yjs.compactState(yjs.applyUpdate(asYjsState(current), op.update)),
        ) as unknown as JsonObject;
    }
  }
}
