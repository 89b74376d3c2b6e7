// Row shapes of the SQLite adapter's tables and their conversion to and from the Store port's records.

import type { Change, ConflictEntry, DocRecord, LogEntry } from './store.ts';
import {
  baseField,
  decodeConflictVersions,
  decodeValue,
  encodeValue,
  epochField,
  lazyRecord,
} from './store-semantics.ts';

/** A row of `docs` or of `log` (both have these columns), as DOC_COLUMNS selects it. */
export interface DocRow {
  readonly collection: string;
  readonly key: string;
  readonly value: string | null;
  readonly version: string;
  readonly origin: string;
  readonly originSeq: number;
  /** NULL when the write carried no epoch. */
  readonly epoch: number | null;
}

/** A row of `log` as readLog selects it. */
export interface LogRow extends DocRow {
  readonly position: number;
  /** NULL when the key had no record at the writer (see Change.base). */
  readonly base: string | null;
}

/** A row of `conflicts`, its versions as JSON text. */
export interface ConflictRow extends Omit<ConflictEntry, 'versions'> {
  readonly versions: string;
}

export const DOC_COLUMNS = 'collection, key, value, version, origin, origin_seq AS originSeq, epoch';

/** The row's columns as named parameters, for INSERT INTO docs or log (...) VALUES ROW_VALUES. */
export const ROW_COLUMNS = 'collection, key, value, version, origin, origin_seq, epoch';
export const ROW_VALUES = '(@collection, @key, @value, @version, @origin, @originSeq, @epoch)';
/** As ROW_COLUMNS and ROW_VALUES, for INSERT INTO log, which also keeps the change's base. */
export const LOG_COLUMNS = `${ROW_COLUMNS}, base`;
export const LOG_VALUES = '(@collection, @key, @value, @version, @origin, @originSeq, @epoch, @base)';

export function toRecord(row: DocRow): DocRecord {
  return {
    collection: row.collection,
    key: row.key,
    value: decodeValue(row.value),
    version: row.version,
    origin: row.origin,
    originSeq: row.originSeq,
    ...epochField(row.epoch),
  };
}

/** The record as a merge policy sees it, its value parsed only if the policy reads it. */
export function toLazyRecord(row: DocRow): DocRecord {
  return lazyRecord(
    {
      collection: row.collection,
      key: row.key,
      version: row.version,
      origin: row.origin,
      originSeq: row.originSeq,
      ...epochField(row.epoch),
    },
    row.value,
  );
}

export function toEntry(row: LogRow): LogEntry {
  return { ...toRecord(row), ...baseField(row.base), position: row.position };
}

export function toConflict(row: ConflictRow): ConflictEntry {
  return { ...row, versions: decodeConflictVersions(row.versions) };
}

/** The row a change writes, without extras a caller's object may carry. */
export function toRow(change: Change): DocRow {
  return {
    collection: change.collection,
    key: change.key,
    value: encodeValue(change.value),
    version: change.version,
    origin: change.origin,
    originSeq: change.originSeq,
    epoch: change.epoch ?? null,
  };
}
