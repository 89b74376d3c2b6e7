// Row shapes of the SQLite adapter's tables and their conversion to the Store port's records.

import type { Change, DocRecord } from './store.ts';
import { decodeValue } from './store-semantics.ts';

export interface DocRow {
  readonly collection: string;
  readonly key: string;
  readonly value: string | null;
  readonly version: string;
  readonly origin: string;
}

export interface ChangeRow extends DocRow {
  readonly originSeq: number;
}

export interface LogRow extends ChangeRow {
  readonly position: number;
}

export const DOC_COLUMNS = 'collection, key, value, version, origin';
export const CHANGE_COLUMNS = `${DOC_COLUMNS}, origin_seq AS originSeq`;

export function toRecord(row: DocRow): DocRecord {
  return {
    collection: row.collection,
    key: row.key,
    value: decodeValue(row.value),
    version: row.version,
    origin: row.origin,
  };
}

export function toChange(row: ChangeRow): Change {
  return { ...toRecord(row), originSeq: row.originSeq };
}
