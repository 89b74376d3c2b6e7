// Consistent snapshots of a SQLite store: a read transaction on a second, read-only connection (in WAL
// mode it sees the database as of its first read until it commits, while the writer goes on), or a copy
// taken in one transaction for an in-memory database, which has no second connection.

import Database from 'better-sqlite3';
import { arraySnapshot } from './array-snapshot.ts';
import { DOC_COLUMNS, toRecord, type DocRow } from './sqlite-rows.ts';
import type { Change, DocKey, StoreSnapshot } from './store.ts';
import { rowLimit, storeClosedError } from './store-semantics.ts';

const BUSY_TIMEOUT_MS = 5000;

/** Opens a snapshot of the store `db` (at `path`); its read connection joins `readers` until closed. */
export function openSqliteSnapshot(
  db: Database.Database,
  path: string,
  readers: Set<Database.Database>,
): StoreSnapshot {
  if (path === ':memory:') {
    const view = db.transaction(() => ({
      ...snapshotHeader(db),
      records: db
        .prepare<[], DocRow>(`SELECT ${DOC_COLUMNS} FROM docs ORDER BY collection, key`)
        .all()
        .map(toRecord),
    }))();
    return arraySnapshot(view);
  }
  const reader = new Database(path, { readonly: true, fileMustExist: true });
  readers.add(reader);
  try {
    reader.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    reader.exec('BEGIN');
    const header = snapshotHeader(reader);
    const first = reader.prepare<[number], DocRow>(
      `SELECT ${DOC_COLUMNS} FROM docs ORDER BY collection, key LIMIT ?`,
    );
    const next = reader.prepare<[string, string, number], DocRow>(
      `SELECT ${DOC_COLUMNS} FROM docs WHERE (collection, key) > (?, ?) ORDER BY collection, key LIMIT ?`,
    );
    return {
      ...header,
      async read(after: DocKey | undefined, limit: number): Promise<Change[]> {
        // Closed by close() or with the store.
        if (!readers.has(reader)) throw storeClosedError('sqlite snapshot');
        const n = rowLimit(limit);
        if (n === 0) return [];
        const rows = after === undefined ? first.all(n) : next.all(after.collection, after.key, n);
        return rows.map(toRecord);
      },
      async close() {
        if (readers.has(reader)) closeReader(reader, readers);
      },
    };
  } catch (err) {
    closeReader(reader, readers);
    throw err;
  }
}

export function closeReader(reader: Database.Database, readers: Set<Database.Database>): void {
  readers.delete(reader);
  if (reader.inTransaction) reader.exec('COMMIT');
  reader.close();
}

/** The applied vector, log head and version floor, read in the caller's transaction. */
function snapshotHeader(db: Database.Database) {
  const applied = db.prepare<[], { origin: string; seq: number }>('SELECT origin, seq FROM applied').all();
  return {
    applied: Object.fromEntries(applied.map((row) => [row.origin, row.seq])),
    head:
      db
        .prepare<[], number>("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'log'), 0)")
        .pluck()
        .get() ?? 0,
    versionFloor: db.prepare<[], string>("SELECT value FROM meta WHERE name = 'version_floor'").pluck().get(),
  };
}
