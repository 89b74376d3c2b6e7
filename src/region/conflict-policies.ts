// The merge policy of each collection, as the store runs it when a remote change meets a record: last-
// write-wins, version-vector siblings, CRDT documents, or the application's resolver. Each is a join, so
// regions converge whatever order changes arrive in; concurrent writes go to the conflict ledger.

import { isJsonObject, type JsonObject } from '../core/json.ts';
import { compareVersions } from '../core/version.ts';
import { conflictRule, type CollectionConfig, type MeridianConfig } from '../config/schema.ts';
import type { ConflictResolver } from '../conflict/resolver-check.ts';
import * as vector from '../conflict/vector-state.ts';
import * as crdt from '../crdt/index.ts';
import * as yjs from '../yjs/yjs-state.ts';
import {
  conflictVersions,
  isConcurrent,
  lastWriteWins,
  type MergeOutcome,
  type MergePolicy,
} from '../store/merge-policy.ts';
import type { Change, DocRecord } from '../store/store.ts';

/** One policy for the whole store: each change merges by its collection's rule. */
export function mergePolicyFor(config: MeridianConfig): MergePolicy {
  const policies = new Map<string, MergePolicy>();
  for (const [name, collection] of Object.entries(config.collections)) {
    policies.set(name, collectionPolicy(collection));
  }
  return (current, incoming) => (policies.get(incoming.collection) ?? lastWriteWins)(current, incoming);
}

function collectionPolicy(collection: CollectionConfig): MergePolicy {
  switch (conflictRule(collection)) {
    case 'lww':
      return lastWriteWins;
    case 'vector':
      return mergeVector;
    case 'crdt':
      return mergeCrdt;
    case 'resolver':
      return mergeResolver;
    case 'yjs':
      return mergeYjs;
  }
}

const larger = (a: string, b: string) => (compareVersions(a, b) >= 0 ? a : b);

function merged(
  current: DocRecord,
  incoming: Change,
  value: JsonObject | null,
  rule: string,
  concurrent: boolean,
): MergeOutcome {
  const version = larger(current.version, incoming.version);
  // The merged state holds both versions' content: the ledger names them (clock and region) without
  // copying whole states (a Yjs document's can be megabytes).
  const versions = conflictVersions([current, incoming]).map((v) => ({ ...v, value: null }));
  return {
    result: { merged: { value, version } },
    ...(concurrent ? { conflict: { rule, versions, winner: version } } : {}),
  };
}

/**
 * A record as a sibling state. A document written before the collection took this policy (plain JSON)
 * is one sibling with the dot (origin, 1): the same in every region that holds it.
 */
export function asVectorState(record: Pick<DocRecord, 'value' | 'origin'> | undefined): vector.VectorState {
  if (record === undefined) return vector.emptyState();
  if (vector.isVectorState(record.value)) return record.value;
  return vector.write(undefined, undefined, record.value, record.origin);
}

const mergeVector: MergePolicy = (current, incoming) => {
  const report = vector.mergeReport(asVectorState(current), asVectorState(incoming));
  return merged(current, incoming, report.state, 'vector', report.concurrent && report.live > 1);
};

/**
 * A record as a CRDT document. A plain JSON document (written before the collection took this policy)
 * becomes a map of registers, one per top-level field, stamped with its version: the same everywhere.
 */
export function asCrdtState(
  record: Pick<DocRecord, 'value' | 'origin' | 'version'> | undefined,
): crdt.CrdtDocument {
  if (record === undefined || record.value === null) return crdt.emptyDocument();
  if (record.value['crdt'] !== undefined) {
    // A merge must not throw (the apply would fail over and over): what does not decode is plain JSON.
    try {
      return crdt.decode(record.value);
    } catch {
      // fall through
    }
  }
  const ops = Object.entries(record.value).map(([field, value]) => ({
    op: 'set' as const,
    path: [field],
    value,
  }));
  if (ops.length === 0) return crdt.emptyDocument();
  try {
    return crdt.applyOps(crdt.emptyDocument(), crdt.validateOps(ops), {
      replica: record.origin,
      timestamp: record.version,
    });
  } catch {
    // A plain document the CRDT cannot hold (too deep, too many fields): the same empty document everywhere.
    return crdt.emptyDocument();
  }
}

const mergeCrdt: MergePolicy = (current, incoming) => {
  const state = crdt.merge(asCrdtState(current), asCrdtState(incoming));
  return merged(current, incoming, crdt.encode(state), 'crdt', isConcurrent(current, incoming));
};

/** A record as a Yjs state; anything else (a document from before the policy) is an empty document. */
export function asYjsState(record: Pick<DocRecord, 'value'> | undefined): yjs.YjsState {
  if (record === undefined || record.value === null) return yjs.emptyState();
  try {
    return yjs.decodeState(record.value);
  } catch {
    return yjs.emptyState();
  }
}

/** Merged, then compacted: the compact form is the same bytes in every region, whatever the order. */
const mergeYjs: MergePolicy = (current, incoming) => {
  const state = yjs.compactState(yjs.mergeStates(asYjsState(current), asYjsState(incoming)));
  return merged(
    current,
    incoming,
    yjs.encodeState(state) as unknown as JsonObject,
    'yjs',
    isConcurrent(current, incoming),
  );
};

/**
 * An application resolver's collection keeps its documents as sibling states, as `vector` does, so
 * replicas converge whatever the resolver does; each write replaces what its region holds (a write
 * is made over the region's current document), and reads fold the live siblings with the resolver.
 * The ledger records concurrent versions under rule 'resolver'.
 */
const mergeResolver: MergePolicy = (current, incoming) => {
  const report = vector.mergeReport(asVectorState(current), asVectorState(incoming));
  return merged(current, incoming, report.state, 'resolver', report.concurrent && report.live > 1);
};

/**
 * The document a resolver collection shows: its live siblings folded in dot order by resolve(a, b),
 * or undefined when the resolver throws or returns something other than an object (the caller then
 * shows the siblings: nothing is lost).
 */
export function resolveSiblings(
  resolver: ConflictResolver,
  collection: string,
  key: string,
  siblings: ReadonlyArray<{ readonly value: JsonObject; readonly dot: vector.Dot }>,
): JsonObject | undefined {
  const label = (dot: vector.Dot) => `${dot[0]}:${dot[1]}`;
  try {
    let value = siblings[0]!.value;
    for (let i = 1; i < siblings.length; i++) {
      const out: unknown = resolver.resolve(value, siblings[i]!.value, {
        collection,
        key,
        versions: [label(siblings[i - 1]!.dot), label(siblings[i]!.dot)],
      });
      if (typeof (out as { then?: unknown } | null)?.then === 'function') {
        // An async resolver cannot merge inside a read: show the siblings, and never leave its
        // rejection unhandled.
        (out as Promise<unknown>).then(undefined, () => undefined);
        return undefined;
      }
      if (!isJsonObject(out)) return undefined;
      value = out;
    }
    return value;
  } catch {
    return undefined;
  }
}
