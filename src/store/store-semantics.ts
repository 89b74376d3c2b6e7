// The rules every Store adapter shares (preconditions, exactly-once ordering, value encoding), kept in one
// place so the adapters agree by construction; what a remote change does to a record is in merge-policy.ts.

import { ErrorCode, MeridianError } from '../core/errors.ts';
import { isJsonObject, type JsonObject } from '../core/json.ts';
import { compareVersions } from '../core/version.ts';
import { compareKeys } from './key-order.ts';
import type { ConflictVersion, DocKey, DocRecord, Precondition, SnapshotPage } from './store.ts';

/** The parts of a stored record the rules look at; adapters pass their own row shapes. */
export interface StoredVersion {
  readonly version: string;
  readonly origin: string;
  readonly originSeq: number;
  /** Null for a tombstone; any other value means a live document. */
  readonly value: unknown;
}

/** Whether a local write with `precondition` may replace `current` (see Precondition). */
export function preconditionHolds(current: StoredVersion | undefined, precondition: Precondition): boolean {
  switch (precondition.kind) {
    case 'none':
      return true;
    case 'version':
      return (
        current !== undefined &&
        current.version === precondition.version &&
        (precondition.change === undefined ||
          (current.origin === precondition.change.origin &&
            current.originSeq === precondition.change.originSeq))
      );
    case 'absent':
      return current === undefined || current.value === null;
  }
}

/** Where a remote change falls in its origin's sequence, given the highest seq applied so far. */
export function remoteOrder(appliedSeq: number, originSeq: number): 'duplicate' | 'gap' | 'next' {
  if (originSeq <= appliedSeq) return 'duplicate';
  return originSeq > appliedSeq + 1 ? 'gap' : 'next';
}

/**
 * The seq a puller says it has applied for `origin`: absent, negative, fractional or non-finite values
 * are read conservatively (0, or rounded down), so a malformed vector can only cause re-sending.
 */
export function appliedSeqOf(applied: Readonly<Record<string, number>>, origin: string): number {
  if (!Object.hasOwn(applied, origin)) return 0;
  const seq = applied[origin];
  return typeof seq === 'number' && Number.isFinite(seq) && seq > 0 ? Math.floor(seq) : 0;
}

/** `applied` with every value read as appliedSeqOf does (own properties only). */
export function normalizeApplied(applied: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const origin of Object.keys(applied)) out[origin] = appliedSeqOf(applied, origin);
  return out;
}

/**
 * Whether the change (origin, originSeq) that wrote a record is among those `applied` covers. A record
 * whose seq is unknown (0) is never covered, so neither a purge nor a snapshot removes it.
 */
export function changeCovered(
  applied: Readonly<Record<string, number>>,
  origin: string,
  originSeq: number,
): boolean {
  return originSeq > 0 && originSeq <= appliedSeqOf(applied, origin);
}

/** Whether a tombstone may go, given the stable seqs and the optional version bound of purgeTombstones. */
export function tombstonePurgeable(
  record: {
    readonly value: unknown;
    readonly version: string;
    readonly origin: string;
    readonly originSeq: number;
  },
  stable: Readonly<Record<string, number>>,
  versionBelow: string | undefined,
): boolean {
  return (
    record.value === null &&
    changeCovered(stable, record.origin, record.originSeq) &&
    (versionBelow === undefined || compareVersions(record.version, versionBelow) < 0)
  );
}

/** (collection, key) order by code points, the order snapshots are read and installed in. */
export function compareDocKeys(a: DocKey, b: DocKey): number {
  return compareKeys(a.collection, b.collection) || compareKeys(a.key, b.key);
}

/** The key range a snapshot page covers: after `after`, up to its last record or, on the last page, the end. */
export function pageCovers(page: SnapshotPage, doc: DocKey): boolean {
  if (page.after !== undefined && compareDocKeys(doc, page.after) <= 0) return false;
  if (page.last) return true;
  const end = page.records.at(-1);
  return end !== undefined && compareDocKeys(doc, end) <= 0;
}

/** The larger of two versions, either possibly absent. */
export function maxVersion(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareVersions(a, b) >= 0 ? a : b;
}

/** The largest version among a page's records and its floor: every version the snapshot covers is at or below it. */
export function pageVersionBound(page: SnapshotPage): string | undefined {
  let bound = page.versionFloor;
  for (const record of page.records) bound = maxVersion(bound, record.version);
  return bound;
}

/**
 * A `limit` as a row count SQLite accepts: whole, capped (so Infinity means "all"), and 0 when not
 * positive (SQLite would read a negative LIMIT as no limit at all).
 */
export function rowLimit(limit: number): number {
  const n = Math.floor(limit);
  return n > 0 ? Math.min(n, Number.MAX_SAFE_INTEGER) : 0;
}

/**
 * `{ epoch }` when there is one, else no property at all: an absent epoch is not stored (SQLite keeps
 * NULL) and reads back absent, never as 0 or as an `epoch: undefined` key.
 */
export function epochField(epoch: number | null | undefined): { readonly epoch?: number } {
  return epoch === undefined || epoch === null ? {} : { epoch };
}

/** `{ base }` when there is one, else no property at all (as epochField). */
export function baseField(base: string | null | undefined): { readonly base?: string } {
  return base === undefined || base === null ? {} : { base };
}

/**
 * A record whose value is parsed from the stored JSON text only if read: the default merge policy looks
 * at versions alone unless the writes conflict, so applying a change over a document need not parse it.
 */
export function lazyRecord(fields: Omit<DocRecord, 'value'>, json: string | null): DocRecord {
  let value: JsonObject | null | undefined;
  return {
    ...fields,
    get value() {
      return value === undefined ? (value = decodeValue(json)) : value;
    },
  };
}

/** Both adapters keep a conflict's versions as JSON text, so the ledger never shares objects with callers. */
export function encodeConflictVersions(versions: readonly ConflictVersion[]): string {
  return JSON.stringify(versions.map(({ version, origin, value }) => ({ version, origin, value })));
}

export function decodeConflictVersions(text: string): ConflictVersion[] {
  const versions: unknown = JSON.parse(text);
  if (!Array.isArray(versions)) {
    throw new MeridianError(ErrorCode.Internal, 'stored conflict versions are not an array', {
      details: { text },
    });
  }
  return versions as ConflictVersion[];
}

/** Values are stored as JSON text (null for a tombstone) by both adapters, so both copy alike. */
export function encodeValue(value: JsonObject | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

export function decodeValue(text: string | null): JsonObject | null {
  if (text === null) return null;
  const value: unknown = JSON.parse(text);
  if (!isJsonObject(value)) {
    throw new MeridianError(ErrorCode.Internal, 'stored value is not a JSON object', { details: { text } });
  }
  return value;
}

export function storeClosedError(kind: string): MeridianError {
  return new MeridianError(ErrorCode.Unavailable, `the ${kind} store is closed`, { details: { kind } });
}
