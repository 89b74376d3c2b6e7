// The Store port: versioned documents plus the replication log, written together atomically.
// Adapters: memory (tests, simulator) and SQLite; each passes store-conformance.ts.

import type { JsonObject } from '../core/json.ts';

/** A stored document, or its tombstone when `value` is null (deletes are ordinary versions). */
export interface DocRecord {
  readonly collection: string;
  readonly key: string;
  readonly value: JsonObject | null;
  readonly version: string;
  /** The region whose write produced this version. */
  readonly origin: string;
}

/** One new version of one document, as it travels between regions. */
export interface Change {
  readonly collection: string;
  readonly key: string;
  readonly value: JsonObject | null;
  readonly version: string;
  readonly origin: string;
  /** 1, 2, 3, ... over the changes made at `origin`: applying them in this order is exactly-once. */
  readonly originSeq: number;
}

/** A change as recorded in this store's log, at `position` (1, 2, 3, ...). */
export interface LogEntry extends Change {
  readonly position: number;
}

export type Precondition =
  | { readonly kind: 'none' }
  /** If-Match: the current version (live or tombstone) must be exactly this. */
  | { readonly kind: 'version'; readonly version: string }
  /** If-None-Match: * — no live document may exist. */
  | { readonly kind: 'absent' };

export interface LocalWrite {
  readonly collection: string;
  readonly key: string;
  readonly value: JsonObject | null;
  readonly version: string;
  readonly origin: string;
}

export type WriteResult =
  | { readonly ok: true; readonly entry: LogEntry }
  | { readonly ok: false; readonly current: DocRecord | undefined };

/**
 * `applied`: the change is now the document's version. `superseded`: logged (so it is relayed) but the
 * document keeps a newer version. `duplicate`: already applied, nothing written. `gap`: an earlier change
 * from the same origin is missing, nothing written.
 */
export type ApplyResult = 'applied' | 'superseded' | 'duplicate' | 'gap';

export interface ListOptions {
  readonly prefix?: string;
  /** Return keys strictly after this one (the cursor). */
  readonly after?: string;
  readonly limit: number;
}

export interface StoreStats {
  readonly documents: number;
  readonly tombstones: number;
  readonly logEntries: number;
}

export interface Store {
  readonly kind: string;
  /** The document or its tombstone; undefined when the key was never written. */
  get(collection: string, key: string): Promise<DocRecord | undefined>;
  /** Live documents (no tombstones) in key order. */
  list(collection: string, options: ListOptions): Promise<DocRecord[]>;
  /** A write made here: checks the precondition, assigns the next local originSeq, appends to the log. */
  writeLocal(write: LocalWrite, precondition: Precondition): Promise<WriteResult>;
  /** A change made elsewhere: exactly-once per (origin, originSeq), last-write-wins on the version. */
  applyRemote(change: Change): Promise<ApplyResult>;
  /** Log entries with position > `after`, in order, at most `limit`. */
  readLog(after: number, limit: number): Promise<LogEntry[]>;
  /** The position of the last log entry (0 when empty). */
  logHead(): Promise<number>;
  /** For each origin, the highest originSeq applied here. */
  appliedSeqs(): Promise<Record<string, number>>;
  /**
   * Where a puller that has applied `applied` (per origin, the highest originSeq; an absent origin counts
   * as 0) resumes reading this log: the largest position p such that every entry at a position <= p is
   * already covered (originSeq <= applied[origin]). 0 when the first entry is not covered, logHead() when
   * all are. Values that are not whole non-negative numbers count as 0 (see appliedSeqOf).
   */
  positionAfter(applied: Readonly<Record<string, number>>): Promise<number>;
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}
