// Merge policies: what a remote change does to the record of its key. The default, lastWriteWins, keeps
// the larger version and reports writes that were made concurrently, for the conflict ledger.

import type { JsonObject } from '../core/json.ts';
import { compareVersions } from '../core/version.ts';
import type { Change, ConflictVersion, DocRecord } from './store.ts';

/**
 * Decides what a remote change does to the current record of its key (live or tombstone). Runs inside the
 * apply transaction: pure and synchronous, no I/O. It must give every region the same record whatever
 * order concurrent changes arrive in (commutative, and idempotent over a record it already produced),
 * or regions diverge.
 */
export type MergePolicy = (current: DocRecord, incoming: Change) => MergeOutcome;

export interface MergeOutcome {
  /**
   * 'incoming': the change becomes the record (applied); 'current': the record stays (superseded); or a
   * merged record: value and version (the join: the larger version), written as the record with the
   * incoming change's origin, originSeq and epoch (applied). The log keeps the change as received either
   * way, so every region merges for itself.
   */
  readonly result:
    | { readonly keep: 'incoming' | 'current' }
    | { readonly merged: { readonly value: JsonObject | null; readonly version: string } };
  /** A conflict to record in the ledger, in the same transaction. */
  readonly conflict?: ConflictInput;
}

export interface ConflictInput {
  /** 'lww', 'vector', 'crdt', 'resolver', ... */
  readonly rule: string;
  /** Every competing version. */
  readonly versions: readonly ConflictVersion[];
  /** The version that won, or the merged version. */
  readonly winner: string;
}

/**
 * Whether `incoming` was written without having seen `current`. Replication delivers each origin's changes
 * in order and a relay carries a change's predecessors before it, so a write made over `current` (its
 * causal successor) arrives after it and names it as base; any other base (or none) means the two were
 * written concurrently. The same version is the same write met again (a snapshot installed the record
 * before its change arrived), never a conflict.
 */
export function isConcurrent(current: DocRecord, incoming: Change): boolean {
  return incoming.base !== current.version && incoming.version !== current.version;
}

/**
 * The competing versions of a conflict in version order, so that every region records the same entry
 * whatever order the writes reached it in.
 */
export function conflictVersions(records: readonly DocRecord[]): ConflictVersion[] {
  return records
    .map(({ version, origin, value }) => ({ version, origin, value }))
    .sort((a, b) => compareVersions(a.version, b.version));
}

/** The larger version wins (see core/version.ts); concurrent writes are reported with rule 'lww'. */
export const lastWriteWins: MergePolicy = (current, incoming) => {
  const keep = compareVersions(incoming.version, current.version) > 0 ? 'incoming' : 'current';
  if (!isConcurrent(current, incoming)) return { result: { keep } };
  return {
    result: { keep },
    conflict: {
      rule: 'lww',
      versions: conflictVersions([current, incoming]),
      winner: keep === 'incoming' ? incoming.version : current.version,
    },
  };
};

/** What a remote change (or a snapshot record) does to its key, as both adapters carry it out. */
export interface Resolution {
  /** The record to write; undefined when the current one stays. */
  readonly record: Change | undefined;
  readonly conflict: ConflictInput | undefined;
}

/** Runs `merge` when the key has a record; with none, the change simply becomes the record. */
export function resolveRemote(
  merge: MergePolicy,
  current: DocRecord | undefined,
  incoming: Change,
): Resolution {
  if (current === undefined) return { record: incoming, conflict: undefined };
  const { result, conflict } = merge(current, incoming);
  if ('merged' in result) {
    const { value, version } = result.merged;
    return { record: { ...incoming, value, version }, conflict };
  }
  return { record: result.keep === 'incoming' ? incoming : undefined, conflict };
}
