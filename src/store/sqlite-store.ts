// SQLite Store adapter (better-sqlite3): each write updates the document, the log and the applied
// sequence numbers in one transaction, in WAL mode so acknowledged writes survive a killed process.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, MeridianError } from '../core/errors.ts';
import { listStart, prefixUpperBound } from './key-order.ts';
import { lastWriteWins, resolveRemote, type ConflictInput, type MergePolicy } from './merge-policy.ts';
import { closeReader, openSqliteSnapshot } from './sqlite-snapshot.ts';
import {
  DOC_COLUMNS,
  LOG_COLUMNS,
  LOG_VALUES,
  ROW_COLUMNS,
  ROW_VALUES,
  toConflict,
  toEntry,
  toLazyRecord,
  toRecord,
  toRow,
  type ConflictRow,
  type DocRow,
  type LogRow,
} from './sqlite-rows.ts';
import type {
  ApplyResult,
  BatchedWrite,
  Change,
  DocKey,
  ListOptions,
  LocalWrite,
  LogEntry,
  Precondition,
  SnapshotPage,
  Store,
  StoreStats,
  WriteResult,
} from './store.ts';
import {
  appliedSeqOf,
  normalizeApplied,
  maxVersion,
  pageVersionBound,
  encodeConflictVersions,
  preconditionHolds,
  remoteOrder,
  rowLimit,
  storeClosedError,
} from './store-semantics.ts';

export interface SqliteStoreOptions {
  /** The database file (its directory is created if missing), or ':memory:'. */
  readonly path: string;
  /**
   * 'normal' (default): with WAL, a committed write is in the OS page cache before it is acknowledged, so
   * it survives the process being killed but not power loss. 'full' fsyncs every commit for power loss.
   */
  readonly synchronous?: 'normal' | 'full';
  /** Refuse writes that would grow the database file past this size (default: no limit but the disk's). */
  readonly maxBytes?: number;
  /** What a remote change does to an existing record (default: lastWriteWins). See merge-policy.ts. */
  readonly merge?: MergePolicy;
}

const BUSY_TIMEOUT_MS = 5000;

/**
 * The schema, one migration per entry; PRAGMA user_version records how many have run. Keys compare with
 * the default BINARY collation, i.e. by UTF-8 bytes, the same order as compareKeys in the memory adapter.
 * The log uses AUTOINCREMENT so a position is never reused, even if the log is later truncated.
 * Append only: a database keeps the migrations it ran. Exported for the migration test.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE docs (
     collection TEXT NOT NULL,
     key TEXT NOT NULL,
     value TEXT,
     version TEXT NOT NULL,
     origin TEXT NOT NULL,
     PRIMARY KEY (collection, key)
   ) STRICT;
   CREATE TABLE log (
     position INTEGER PRIMARY KEY AUTOINCREMENT,
     collection TEXT NOT NULL,
     key TEXT NOT NULL,
     value TEXT,
     version TEXT NOT NULL,
     origin TEXT NOT NULL,
     origin_seq INTEGER NOT NULL,
     UNIQUE (origin, origin_seq)
   ) STRICT;
   CREATE TABLE applied (origin TEXT PRIMARY KEY, seq INTEGER NOT NULL) STRICT, WITHOUT ROWID;`,
  // Log truncation, tombstone purges and snapshots: each document remembers the seq of the change that
  // wrote it (backfilled from the log, which was never truncated before this migration), each origin how
  // far its log was truncated, and `meta` the version floor.
  `ALTER TABLE docs ADD COLUMN origin_seq INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX log_origin_version ON log (origin, version);
   UPDATE docs SET origin_seq = coalesce(
     (SELECT log.origin_seq FROM log WHERE log.origin = docs.origin AND log.version = docs.version), 0);
   DROP INDEX log_origin_version;
   CREATE INDEX docs_tombstones ON docs (origin, origin_seq) WHERE value IS NULL;
   ALTER TABLE applied ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID;`,
  // The writer's epoch on each document and log entry; NULL when the write carried none (and for every
  // row written before this migration).
  `ALTER TABLE docs ADD COLUMN epoch INTEGER;
   ALTER TABLE log ADD COLUMN epoch INTEGER;`,
  // Conflict detection and the ledger: each log entry keeps the version its write replaced at the writer
  // (NULL when there was none, and for every entry logged before this migration), and `conflicts` what
  // merge policies resolved here, `versions` as JSON. AUTOINCREMENT: an id is never reused, even once the
  // ledger is truncated (it is not, yet).
  `ALTER TABLE log ADD COLUMN base TEXT;
   CREATE TABLE conflicts (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     collection TEXT NOT NULL,
     key TEXT NOT NULL,
     rule TEXT NOT NULL,
     winner TEXT NOT NULL,
     versions TEXT NOT NULL
   ) STRICT;
   CREATE INDEX conflicts_collection ON conflicts (collection, id);`,
];

/** `origin_seq` covered by the JSON vector in parameter @covered (normalized first, see appliedSeqOf). */
const COVERED =
  'origin_seq > 0 AND origin_seq <= coalesce((SELECT value FROM json_each(@covered) WHERE key = docs.origin), 0)';

/**
 * Runs a write transaction; a full disk (or the maxBytes cap) becomes a 507 that says so. The transaction
 * rolled back: nothing of it was written, and nothing was acknowledged.
 */
function whenRoom<T>(path: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_FULL') {
      throw new MeridianError(
        ErrorCode.Unavailable,
        `the store at ${path} is full (disk, or store.maxBytes): free space or raise the limit, then retry; nothing was written`,
        { status: 507, cause: err },
      );
    }
    throw err;
  }
}

export function createSqliteStore(options: SqliteStoreOptions): Store {
  const { path, synchronous = 'normal', maxBytes, merge = lastWriteWins } = options;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrate(db, path);
    if (maxBytes !== undefined) {
      const pageSize = Number(db.pragma('page_size', { simple: true }));
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(maxBytes / pageSize))}`);
    }
  } catch (err) {
    db.close();
    throw err;
  }

  const getDoc = db.prepare<[string, string], DocRow>(
    `SELECT ${DOC_COLUMNS} FROM docs WHERE collection = ? AND key = ?`,
  );
  const upsertDoc = db.prepare<[DocRow]>(
    `INSERT INTO docs (${ROW_COLUMNS}) VALUES ${ROW_VALUES}
     ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value, version = excluded.version,
       origin = excluded.origin, origin_seq = excluded.origin_seq, epoch = excluded.epoch`,
  );
  const insertLog = db.prepare<[DocRow & { base: string | null }]>(
    `INSERT INTO log (${LOG_COLUMNS}) VALUES ${LOG_VALUES}`,
  );
  const insertConflict = db.prepare<[Omit<ConflictRow, 'id'>]>(
    `INSERT INTO conflicts (collection, key, rule, winner, versions)
     VALUES (@collection, @key, @rule, @winner, @versions)`,
  );
  const conflictColumns = 'id, collection, key, rule, winner, versions';
  const readConflicts = db.prepare<[number, number], ConflictRow>(
    `SELECT ${conflictColumns} FROM conflicts WHERE id > ? ORDER BY id LIMIT ?`,
  );
  const readCollectionConflicts = db.prepare<[string, number, number], ConflictRow>(
    `SELECT ${conflictColumns} FROM conflicts WHERE collection = ? AND id > ? ORDER BY id LIMIT ?`,
  );
  const getApplied = db.prepare<[string], number>('SELECT seq FROM applied WHERE origin = ?').pluck();
  const setApplied = db.prepare<[string, number]>(
    'INSERT INTO applied (origin, seq) VALUES (?, ?) ON CONFLICT (origin) DO UPDATE SET seq = excluded.seq',
  );
  const allApplied = db.prepare<[], { origin: string; seq: number; truncated: number }>(
    'SELECT origin, seq, truncated FROM applied',
  );
  const setTruncated = db.prepare<[number, string]>('UPDATE applied SET truncated = ? WHERE origin = ?');
  const moveApplied = db.prepare<[string, number, number]>(
    `INSERT INTO applied (origin, seq, truncated) VALUES (?, ?, ?)
     ON CONFLICT (origin) DO UPDATE SET seq = excluded.seq, truncated = excluded.truncated`,
  );
  const truncateOrigin = db.prepare<[string, number], { version: string }>(
    'DELETE FROM log WHERE origin = ? AND origin_seq <= ? RETURNING version',
  );
  const dropOrigin = db.prepare<[string]>('DELETE FROM log WHERE origin = ?');
  const purge = db.prepare<[{ covered: string; below: string | null }], { version: string }>(
    `DELETE FROM docs WHERE value IS NULL AND ${COVERED} AND (@below IS NULL OR version < @below)
     RETURNING version`,
  );
  const getFloor = db.prepare<[], string>("SELECT value FROM meta WHERE name = 'version_floor'").pluck();
  const raiseFloor = db.prepare<[string]>(
    `INSERT INTO meta (name, value) VALUES ('version_floor', ?)
     ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)`,
  );
  // One statement per shape of page range, so the (collection, key) primary key bounds the delete.
  const dropCovered = (lower: boolean, upper: boolean) =>
    db.prepare<[Record<string, string>]>(
      `DELETE FROM docs WHERE ${COVERED}
       ${lower ? 'AND (collection, key) > (@fromCollection, @fromKey)' : ''}
       ${upper ? 'AND (collection, key) <= (@toCollection, @toKey)' : ''}`,
    );
  const dropCoveredIn = [
    [dropCovered(false, false), dropCovered(false, true)],
    [dropCovered(true, false), dropCovered(true, true)],
  ] as const;
  const readLog = db.prepare<[number, number], LogRow>(
    `SELECT ${DOC_COLUMNS}, base, position FROM log
     WHERE position > ? ORDER BY position LIMIT ?`,
  );
  // AUTOINCREMENT keeps the highest position ever used in sqlite_sequence, even once the log is truncated.
  const logHead = db
    .prepare<[], number>("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'log'), 0)")
    .pluck();
  // For each origin in the log, its first logged change the puller lacks (seq max(applied, truncated) + 1);
  // the earliest of those, or NULL when the puller lacks nothing. The correlated subquery pins one UNIQUE
  // (origin, origin_seq) index probe per origin: as a plain join, SQLite walks the log by position (O(n)).
  const firstUncovered = db
    .prepare<[string], number | null>(
      `SELECT min((SELECT log.position FROM log WHERE log.origin = applied.origin
                     AND log.origin_seq = max(coalesce(covered.value, 0), applied.truncated) + 1))
       FROM applied LEFT JOIN json_each(?) AS covered ON covered.key = applied.origin`,
    )
    .pluck();
  const stats = db.prepare<[], StoreStats>(
    `SELECT (SELECT count(*) FROM docs WHERE value IS NOT NULL) AS documents,
            (SELECT count(*) FROM docs WHERE value IS NULL) AS tombstones,
            (SELECT count(*) FROM log) AS logEntries,
            (SELECT count(*) FROM conflicts) AS conflicts`,
  );
  // One statement per shape of key range, so the (collection, key) index bounds the scan on both ends.
  const listStatement = (lower: '>' | '>=', bounded: boolean) =>
    db.prepare<(string | number)[], DocRow>(
      `SELECT ${DOC_COLUMNS} FROM docs
       WHERE collection = ? AND key ${lower} ?${bounded ? ' AND key < ?' : ''} AND value IS NOT NULL
       ORDER BY key LIMIT ?`,
    );
  const listFrom = [listStatement('>=', false), listStatement('>=', true)] as const;
  const listAfter = [listStatement('>', false), listStatement('>', true)] as const;

  /** Appends to the log and advances the origin's applied seq; returns the log position. */
  function append(doc: DocRow, base: string | undefined): number {
    const { lastInsertRowid } = insertLog.run({ ...doc, base: base ?? null });
    setApplied.run(doc.origin, doc.originSeq);
    return Number(lastInsertRowid);
  }

  const writeLocal = db.transaction(writeLocalRow);
  const writeLocalBatch = db.transaction((writes: readonly BatchedWrite[], nextVersion: () => string) =>
    writes.map(({ write, precondition }) =>
      writeLocalRow({ ...write, version: nextVersion() }, precondition),
    ),
  );

  function writeLocalRow(write: LocalWrite, precondition: Precondition): WriteResult {
    const current = getDoc.get(write.collection, write.key);
    if (!preconditionHolds(current, precondition)) {
      return { ok: false, current: current && toRecord(current) };
    }
    const doc = toRow({ ...write, originSeq: (getApplied.get(write.origin) ?? 0) + 1 });
    const base = current?.version;
    const position = append(doc, base);
    upsertDoc.run(doc);
    return { ok: true, entry: toEntry({ ...doc, base: base ?? null, position }) };
  }

  function recordConflict(doc: DocKey, conflict: ConflictInput): void {
    insertConflict.run({
      collection: doc.collection,
      key: doc.key,
      rule: conflict.rule,
      winner: conflict.winner,
      versions: encodeConflictVersions(conflict.versions),
    });
  }

  function applyRemoteRow(change: Change): ApplyResult {
    const order = remoteOrder(getApplied.get(change.origin) ?? 0, change.originSeq);
    if (order !== 'next') return order;
    const current = getDoc.get(change.collection, change.key);
    const { record, conflict } = resolveRemote(merge, current && toLazyRecord(current), change);
    append(toRow(change), change.base);
    if (conflict !== undefined) recordConflict(change, conflict);
    if (record === undefined) return 'superseded';
    upsertDoc.run(toRow(record));
    return 'applied';
  }
  const applyRemote = db.transaction(applyRemoteRow);
  const applyRemoteBatch = db.transaction((changes: readonly Change[]): ApplyResult[] => {
    const results: ApplyResult[] = [];
    for (const change of changes) {
      const result = applyRemoteRow(change);
      results.push(result);
      if (result === 'gap') break;
    }
    return results;
  });

  const truncateLog = db.transaction((watermark: Readonly<Record<string, number>>): number => {
    let removed = 0;
    for (const { origin, seq, truncated } of allApplied.all()) {
      const upTo = Math.min(appliedSeqOf(watermark, origin), seq);
      if (upTo <= truncated) continue;
      const gone = truncateOrigin.all(origin, upTo);
      const highest = gone.reduce<string | undefined>((max, row) => maxVersion(max, row.version), undefined);
      if (highest !== undefined) raiseFloor.run(highest);
      removed += gone.length;
      setTruncated.run(upTo, origin);
    }
    return removed;
  });

  const purgeTombstones = db.transaction(
    (stable: Readonly<Record<string, number>>, versionBelow: string | undefined): number => {
      const purged = purge.all({
        covered: JSON.stringify(normalizeApplied(stable)),
        below: versionBelow ?? null,
      });
      const highest = purged.reduce<string | undefined>(
        (max, row) => maxVersion(max, row.version),
        undefined,
      );
      if (highest !== undefined) raiseFloor.run(highest);
      return purged.length;
    },
  );

  const installSnapshotPage = db.transaction((page: SnapshotPage): void => {
    // Each page record merges with the local record as it is before covered records are dropped: a
    // merged record (see merge-policy.ts) can hold local changes the snapshot does not, under the
    // identity of a change it covers. Conflicts the policy reports are not recorded (see
    // Store.installSnapshotPage).
    const rows = page.records.map((incoming) => {
      const current = getDoc.get(incoming.collection, incoming.key);
      const { record } = resolveRemote(merge, current && toLazyRecord(current), incoming);
      return record === undefined ? current : toRow(record);
    });
    const covered = JSON.stringify(normalizeApplied(page.applied));
    const end = page.last ? undefined : page.records.at(-1);
    if (page.last || end !== undefined) {
      const { after } = page;
      const range: Record<string, string> = { covered };
      if (after) Object.assign(range, { fromCollection: after.collection, fromKey: after.key });
      if (end) Object.assign(range, { toCollection: end.collection, toKey: end.key });
      dropCoveredIn[after ? 1 : 0][end ? 1 : 0].run(range);
    }
    for (const row of rows) if (row !== undefined) upsertDoc.run(row);
    const bound = pageVersionBound(page);
    if (bound !== undefined) raiseFloor.run(bound);
    if (!page.last) return;
    for (const [origin, seq] of Object.entries(normalizeApplied(page.applied))) {
      if (seq <= (getApplied.get(origin) ?? 0)) continue;
      dropOrigin.run(origin);
      moveApplied.run(origin, seq, seq);
    }
  });

  /** Read connections of open snapshots, closed with the store. */
  const readers = new Set<Database.Database>();

  let closed = false;
  function checkOpen(): void {
    if (closed) throw storeClosedError('sqlite');
  }

  return {
    kind: 'sqlite',

    async get(collection, key) {
      checkOpen();
      const row = getDoc.get(collection, key);
      return row && toRecord(row);
    },

    async getJson(collection, key) {
      checkOpen();
      const row = getDoc.get(collection, key);
      return row && { version: row.version, origin: row.origin, originSeq: row.originSeq, json: row.value };
    },

    async list(collection: string, options: ListOptions) {
      checkOpen();
      const limit = rowLimit(options.limit);
      if (limit === 0) return [];
      const { prefix = '', after } = options;
      const start = listStart(prefix, after);
      const statements = start.strict ? listAfter : listFrom;
      const upper = prefix === '' ? undefined : prefixUpperBound(prefix);
      const rows =
        upper === undefined
          ? statements[0].all(collection, start.key, limit)
          : statements[1].all(collection, start.key, upper, limit);
      return rows.map(toRecord);
    },

    async writeLocal(write, precondition) {
      checkOpen();
      // IMMEDIATE: take the write lock before reading, so another connection cannot interleave.
      return whenRoom(path, () => writeLocal.immediate(write, precondition));
    },

    async writeLocalBatch(writes, nextVersion) {
      checkOpen();
      return whenRoom(path, () => writeLocalBatch.immediate(writes, nextVersion));
    },

    async applyRemote(change) {
      checkOpen();
      return whenRoom(path, () => applyRemote.immediate(change));
    },

    async applyRemoteBatch(changes) {
      checkOpen();
      return whenRoom(path, () => applyRemoteBatch.immediate(changes));
    },

    async readLog(after, limit): Promise<LogEntry[]> {
      checkOpen();
      const n = rowLimit(limit);
      if (n === 0) return [];
      return readLog.all(after, n).map(toEntry);
    },

    async readConflicts({ collection, after = 0, limit }) {
      checkOpen();
      const n = rowLimit(limit);
      if (n === 0) return [];
      const rows =
        collection === undefined
          ? readConflicts.all(after, n)
          : readCollectionConflicts.all(collection, after, n);
      return rows.map(toConflict);
    },

    async logHead() {
      checkOpen();
      return logHead.get() ?? 0;
    },

    async appliedSeqs() {
      checkOpen();
      return Object.fromEntries(allApplied.all().map((row) => [row.origin, row.seq]));
    },

    async truncatedSeqs() {
      checkOpen();
      return Object.fromEntries(
        allApplied
          .all()
          .filter((row) => row.truncated > 0)
          .map((row) => [row.origin, row.truncated]),
      );
    },

    async truncateLog(watermark) {
      checkOpen();
      return truncateLog.immediate(watermark);
    },

    async purgeTombstones(stable, options = {}) {
      checkOpen();
      return purgeTombstones.immediate(stable, options.versionBelow);
    },

    async versionFloor() {
      checkOpen();
      return getFloor.get();
    },

    async openSnapshot() {
      checkOpen();
      return openSqliteSnapshot(db, path, readers);
    },

    async installSnapshotPage(page) {
      checkOpen();
      installSnapshotPage.immediate(page);
    },

    async positionAfter(covered) {
      checkOpen();
      const first = firstUncovered.get(JSON.stringify(normalizeApplied(covered)));
      return typeof first === 'number' ? first - 1 : (logHead.get() ?? 0);
    },

    async stats() {
      checkOpen();
      return { ...stats.get()! };
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const reader of [...readers]) closeReader(reader, readers);
      db.close();
    },
  };
}

/** Runs the migrations this database has not had yet, inside one write transaction. */
function migrate(db: Database.Database, path: string): void {
  db.transaction(() => {
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > MIGRATIONS.length) {
      throw new MeridianError(
        ErrorCode.InvalidConfig,
        `${path} has store schema version ${version}, newer than this build supports ` +
          `(${MIGRATIONS.length}): upgrade meridian or use another data directory`,
        { details: { path, version, supported: MIGRATIONS.length } },
      );
    }
    for (const migration of MIGRATIONS.slice(version)) db.exec(migration);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
