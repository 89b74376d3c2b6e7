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
  /**
   * The originSeq of the change that wrote this version, so a read can say which change it reflects
   * (origin#originSeq, for session tokens). 0 for a record migrated from the first SQLite schema whose
   * change was no longer logged.
   */
  readonly originSeq: number;
  /** The writer's epoch (see LocalWrite.epoch); absent when the write carried none. */
  readonly epoch?: number;
}

/** A document as stored: its value as JSON text, or null for a tombstone. */
export interface StoredJson {
  readonly version: string;
  readonly origin: string;
  /** As DocRecord.originSeq. */
  readonly originSeq: number;
  readonly json: string | null;
}

/** One new version of one document, as it travels between regions: the record the change writes. */
export interface Change extends DocRecord {
  /** 1, 2, 3, ... over the changes made at `origin`: applying them in this order is exactly-once. */
  readonly originSeq: number;
  /**
   * The version this write replaced at its writer: the key's record (live or tombstone) when the write
   * was made there, absent when the key had none. writeLocal sets it; a remote change keeps it in the log,
   * so relays carry it. It tells a concurrent write (base is not the record it meets) from a causal
   * successor (see merge-policy.ts). Records (get, list, snapshots) do not carry it.
   */
  readonly base?: string;
}

/** A change as recorded in this store's log, at `position` (1, 2, 3, ...). */
export interface LogEntry extends Change {
  readonly position: number;
}

export type Precondition =
  | { readonly kind: 'none' }
  /**
   * If-Match: the current version (live or tombstone) must be exactly this; with `change`, the record
   * must also still be the one that change wrote. A merge (see merge-policy.ts) can change a record and
   * keep its version: a read-modify-write names the change so it cannot overwrite what a merge added.
   */
  | {
      readonly kind: 'version';
      readonly version: string;
      readonly change?: { readonly origin: string; readonly originSeq: number };
    }
  /** If-None-Match: * — no live document may exist. */
  | { readonly kind: 'absent' };

export interface LocalWrite {
  readonly collection: string;
  readonly key: string;
  readonly value: JsonObject | null;
  readonly version: string;
  readonly origin: string;
  /**
   * The writer's epoch: a positive integer term of the collection's owner, raised by a failover so that
   * a deposed primary's writes can be fenced. Stored with the document and its log entry, relayed and
   * snapshotted with them; when absent nothing is stored and it reads back absent (not 0).
   */
  readonly epoch?: number;
}

/** A local write whose version the store takes at commit time (see writeLocalBatch). */
export interface BatchedWrite {
  readonly write: Omit<LocalWrite, 'version'>;
  readonly precondition: Precondition;
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

/** Where a record sits in the (collection, key) order that snapshots are read and installed in. */
export interface DocKey {
  readonly collection: string;
  readonly key: string;
}

/**
 * A consistent, read-only view of a store, for serving a snapshot: every record (tombstones included)
 * as it was at one moment, with the applied vector and log head of that moment. Adapters hold a read
 * transaction (or a copy) open until `close`.
 */
export interface StoreSnapshot {
  /** Per origin, the highest originSeq the records reflect: the store's applied vector at that moment. */
  readonly applied: Readonly<Record<string, number>>;
  /** The log head at that moment: every entry at or before it is reflected, every entry after it is newer. */
  readonly head: number;
  /** The store's version floor at that moment (see Store.versionFloor). */
  readonly versionFloor: string | undefined;
  /**
   * Up to `limit` records after `after` (from the start when undefined), in (collection, key) order by
   * UTF-8 bytes, each as the change that wrote it (its origin and originSeq).
   */
  read(after: DocKey | undefined, limit: number): Promise<Change[]>;
  /** Releases the view. Idempotent. */
  close(): Promise<void>;
}

/**
 * One page of a peer's snapshot, as Store.installSnapshotPage receives it. Pages of one snapshot share
 * `applied` and `versionFloor`; each covers the keys after `after` (from the start when undefined) up to
 * its last record, and the last page covers every key after that too.
 */
export interface SnapshotPage {
  readonly applied: Readonly<Record<string, number>>;
  readonly versionFloor: string | undefined;
  readonly after: DocKey | undefined;
  readonly records: readonly Change[];
  readonly last: boolean;
}

export interface StoreStats {
  readonly documents: number;
  readonly tombstones: number;
  readonly logEntries: number;
  /** Entries in the conflict ledger. */
  readonly conflicts: number;
}

/** One of the competing versions of a conflict, as the record it was. */
export interface ConflictVersion {
  readonly version: string;
  readonly origin: string;
  readonly value: JsonObject | null;
}

/**
 * A conflict the merge policy resolved here (see merge-policy.ts), as the ledger keeps it. The ledger is
 * local: it is not replicated (each region records what it resolved itself, so the same concurrent
 * writes usually appear once in every region that applied both) and, for now, never truncated.
 */
export interface ConflictEntry {
  /** 1, 2, 3, ... in the order the conflicts were recorded, never reused: the cursor for readConflicts. */
  readonly id: number;
  readonly collection: string;
  readonly key: string;
  /** The rule that resolved it: 'lww', 'vector', 'crdt', 'resolver', ... */
  readonly rule: string;
  /** The version that won, or the merged version. */
  readonly winner: string;
  /** Every competing version. */
  readonly versions: readonly ConflictVersion[];
}

export interface ReadConflictsOptions {
  /** Only this collection's conflicts. */
  readonly collection?: string;
  /** Entries with id > after (the cursor; from the start when absent). */
  readonly after?: number;
  readonly limit: number;
}

export interface Store {
  readonly kind: string;
  /** The document or its tombstone; undefined when the key was never written. */
  get(collection: string, key: string): Promise<DocRecord | undefined>;
  /**
   * Like get, with the value as the JSON text the store keeps (null for a tombstone), so a read can be
   * answered without parsing and re-serialising the document. Optional; see document reads.
   */
  getJson?(collection: string, key: string): Promise<StoredJson | undefined>;
  /** Live documents (no tombstones) in key order. */
  list(collection: string, options: ListOptions): Promise<DocRecord[]>;
  /**
   * A write made here: checks the precondition, assigns the next local originSeq, sets base to the
   * current record's version, appends to the log.
   */
  writeLocal(write: LocalWrite, precondition: Precondition): Promise<WriteResult>;
  /**
   * Local writes in one transaction (group commit), each as writeLocal would do it in turn; a write's
   * version is taken from `nextVersion` inside the transaction, so it is issued after everything the
   * store holds. A failed precondition fails only its own write. Optional: see write-batcher.ts.
   */
  writeLocalBatch?(writes: readonly BatchedWrite[], nextVersion: () => string): Promise<WriteResult[]>;
  /**
   * A change made elsewhere: exactly-once per (origin, originSeq). A change that is next in its origin's
   * sequence is logged as received (with its base) and, when its key has a record, the store's merge
   * policy decides the record (last-write-wins on the version by default) and may record a conflict in
   * the ledger, all in one transaction.
   */
  applyRemote(change: Change): Promise<ApplyResult>;
  /**
   * Applies `changes` in order exactly as successive applyRemote calls would, stopping after the first
   * 'gap'; one result per change tried. Adapters that can do it in one transaction implement it (a
   * received batch then costs one commit, not one per change); applyRemoteAll falls back to applyRemote.
   */
  applyRemoteBatch?(changes: readonly Change[]): Promise<ApplyResult[]>;
  /** Conflict ledger entries (see ConflictEntry) with id > `after`, in id order, at most `limit`. */
  readConflicts(options: ReadConflictsOptions): Promise<ConflictEntry[]>;
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
  /**
   * Per origin, the highest originSeq whose entry is no longer in this log, because truncateLog removed it
   * or a snapshot covered it; an absent origin counts as 0. The log holds each origin's entries from this
   * seq + 1 to its applied seq, in order, without a gap.
   */
  truncatedSeqs(): Promise<Record<string, number>>;
  /**
   * Removes the log entries with originSeq <= watermark[origin] (read as appliedSeqOf does, and never
   * past the applied seq) and returns how many. Positions are never reused: logHead does not move.
   */
  truncateLog(watermark: Readonly<Record<string, number>>): Promise<number>;
  /**
   * Removes tombstones whose change is at or below stable[origin] and, when given, whose version is below
   * `versionBelow`; returns how many. The caller decides what is stable (see docs/INTERNALS.md).
   */
  purgeTombstones(
    stable: Readonly<Record<string, number>>,
    options?: { readonly versionBelow?: string },
  ): Promise<number>;
  /**
   * The highest version this store applied that it may no longer hold in its log: the largest version
   * truncated, purged or installed from a snapshot. With the last log entry of each origin it bounds
   * every version ever applied here, which is where a restarted clock resumes.
   */
  versionFloor(): Promise<string | undefined>;
  /** A consistent view of every record, to serve as a snapshot. */
  openSnapshot(): Promise<StoreSnapshot>;
  /**
   * Installs one page of a peer's snapshot, atomically: within the page's key range, records whose change
   * the snapshot covers (originSeq <= applied[origin]) and that the page lacks are removed (the peer
   * purged a newer tombstone), then each page record meets the local one, if any, through the store's merge
   * policy (last-write-wins by default; a conflict it reports is not recorded: the ledger holds what
   * applying changes resolved, and a snapshot's records are not changes applied here). The last
   * page also completes the snapshot: each origin's applied seq becomes at least the snapshot's, and an
   * origin moved forward loses its log entries (its truncated seq becomes the snapshot's). Installing a
   * page again, or crashing before the last page, leaves a correct store (the applied vector moves only
   * with the last page, so the puller pulls, and gets a snapshot, again).
   */
  installSnapshotPage(page: SnapshotPage): Promise<void>;
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}
