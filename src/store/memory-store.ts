// In-memory Store adapter for tests and the simulator: Maps, an array log, and a sorted set of live
// keys per collection so that list pages by binary search.

import { arraySnapshot } from './array-snapshot.ts';
import { listStart } from './key-order.ts';
import { lastWriteWins, resolveRemote, type ConflictInput, type MergePolicy } from './merge-policy.ts';
import { SortedKeys } from './sorted-keys.ts';
import type {
  ApplyResult,
  Change,
  ConflictEntry,
  DocRecord,
  DocKey,
  ListOptions,
  LocalWrite,
  LogEntry,
  SnapshotPage,
  Store,
  StoreSnapshot,
  StoreStats,
} from './store.ts';
import {
  appliedSeqOf,
  baseField,
  changeCovered,
  compareDocKeys,
  decodeConflictVersions,
  decodeValue,
  encodeConflictVersions,
  encodeValue,
  epochField,
  lazyRecord,
  maxVersion,
  pageCovers,
  pageVersionBound,
  preconditionHolds,
  remoteOrder,
  rowLimit,
  storeClosedError,
  tombstonePurgeable,
} from './store-semantics.ts';

/**
 * A record with its value kept as JSON text, so callers never share objects with the store, and the
 * seq of the change that wrote it (reads return it; purges and snapshots decide by it).
 */
interface StoredDoc {
  readonly collection: string;
  readonly key: string;
  readonly value: string | null;
  readonly version: string;
  readonly origin: string;
  readonly originSeq: number;
  readonly epoch?: number;
}

interface StoredEntry extends StoredDoc {
  readonly position: number;
  /** See Change.base. */
  readonly base?: string;
}

/** A conflict ledger entry with its versions kept as JSON text (see encodeConflictVersions). */
interface StoredConflict extends Omit<ConflictEntry, 'versions'> {
  readonly versions: string;
}

export interface MemoryStoreOptions {
  /** What a remote change does to an existing record (default: lastWriteWins). See merge-policy.ts. */
  readonly merge?: MergePolicy;
}

interface Collection {
  readonly docs: Map<string, StoredDoc>;
  /** Keys of live documents, in key order. */
  readonly liveKeys: SortedKeys;
}

export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const merge = options.merge ?? lastWriteWins;
  const collections = new Map<string, Collection>();
  /** Entries in position order; truncation leaves holes in the positions, never reorders. */
  let log: StoredEntry[] = [];
  let head = 0;
  const applied = new Map<string, number>();
  const truncated = new Map<string, number>();
  /** Per origin, the log position of each of its changes still logged: index seq - truncated - 1. */
  const positionsByOrigin = new Map<string, number[]>();
  let versionFloor: string | undefined;
  /** The conflict ledger, in id order; ids are never reused. */
  const conflicts: StoredConflict[] = [];
  let closed = false;

  function checkOpen(): void {
    if (closed) throw storeClosedError('memory');
  }

  function stored(collection: string, key: string): StoredDoc | undefined {
    return collections.get(collection)?.docs.get(key);
  }

  function put(doc: StoredDoc): void {
    let c = collections.get(doc.collection);
    if (c === undefined) {
      c = { docs: new Map(), liveKeys: new SortedKeys() };
      collections.set(doc.collection, c);
    }
    const wasLive = (c.docs.get(doc.key)?.value ?? null) !== null;
    const isLive = doc.value !== null;
    c.docs.set(doc.key, doc);
    if (isLive && !wasLive) c.liveKeys.add(doc.key);
    if (wasLive && !isLive) c.liveKeys.delete(doc.key);
  }

  function remove(doc: StoredDoc): void {
    const c = collections.get(doc.collection);
    if (c === undefined) return;
    c.docs.delete(doc.key);
    if (doc.value !== null) c.liveKeys.delete(doc.key);
  }

  function append(doc: StoredDoc, base: string | undefined): StoredEntry {
    const entry: StoredEntry = { ...doc, ...baseField(base), position: ++head };
    log.push(entry);
    applied.set(doc.origin, doc.originSeq);
    let positions = positionsByOrigin.get(doc.origin);
    if (positions === undefined) positionsByOrigin.set(doc.origin, (positions = []));
    positions.push(entry.position);
    return entry;
  }

  /** Drops the first `count` logged entries of `origin` (its oldest) from the log. */
  function dropOldest(origin: string, count: number): StoredEntry[] {
    const positions = positionsByOrigin.get(origin) ?? [];
    const gone = new Set(positions.splice(0, count));
    const dropped = log.filter((e) => gone.has(e.position));
    log = log.filter((e) => !gone.has(e.position));
    return dropped;
  }

  function recordConflict(doc: DocKey, conflict: ConflictInput): void {
    conflicts.push({
      id: conflicts.length + 1,
      collection: doc.collection,
      key: doc.key,
      rule: conflict.rule,
      winner: conflict.winner,
      versions: encodeConflictVersions(conflict.versions),
    });
  }

  /** The stored record as a merge policy sees it, its value parsed only if the policy reads it. */
  function forMerge(doc: StoredDoc | undefined): DocRecord | undefined {
    return doc && lazyRecord({ ...pickDoc(doc), originSeq: doc.originSeq }, doc.value);
  }

  function allRecords(): Change[] {
    const out: Change[] = [];
    for (const c of collections.values()) for (const doc of c.docs.values()) out.push(toRecord(doc));
    return out.sort(compareDocKeys);
  }

  return {
    kind: 'memory',

    async get(collection, key) {
      checkOpen();
      const doc = stored(collection, key);
      return doc && toRecord(doc);
    },

    async getJson(collection, key) {
      checkOpen();
      const doc = stored(collection, key);
      return doc && { version: doc.version, origin: doc.origin, originSeq: doc.originSeq, json: doc.value };
    },

    async list(collection: string, options: ListOptions) {
      checkOpen();
      const keys = collections.get(collection)?.liveKeys;
      const limit = rowLimit(options.limit);
      const out: DocRecord[] = [];
      if (keys === undefined || limit === 0) return out;
      const { prefix = '', after } = options;
      const start = listStart(prefix, after);
      for (const key of keys.from(start.key, start.strict)) {
        if (!key.startsWith(prefix)) break;
        out.push(toRecord(stored(collection, key)!));
        if (out.length === limit) break;
      }
      return out;
    },

    async writeLocal(write, precondition) {
      checkOpen();
      const current = stored(write.collection, write.key);
      if (!preconditionHolds(current, precondition)) {
        return { ok: false, current: current && toRecord(current) };
      }
      const originSeq = (applied.get(write.origin) ?? 0) + 1;
      const doc: StoredDoc = { ...pickDoc(write), value: encodeValue(write.value), originSeq };
      const entry = append(doc, current?.version);
      put(doc);
      return { ok: true, entry: toEntry(entry) };
    },

    async applyRemote(change: Change): Promise<ApplyResult> {
      checkOpen();
      const order = remoteOrder(applied.get(change.origin) ?? 0, change.originSeq);
      if (order !== 'next') return order;
      // The policy runs before anything is written, so one that throws leaves the store as it was.
      const current = forMerge(stored(change.collection, change.key));
      const { record, conflict } = resolveRemote(merge, current, change);
      append(toStored(change), change.base);
      if (conflict !== undefined) recordConflict(change, conflict);
      if (record === undefined) return 'superseded';
      put(toStored(record));
      return 'applied';
    },

    async readConflicts({ collection, after = 0, limit }) {
      checkOpen();
      const out: ConflictEntry[] = [];
      const n = rowLimit(limit);
      // Ids are 1, 2, 3, ... with no holes (the ledger is never truncated), so `after` is an index.
      for (let i = Math.max(0, Math.floor(after)); i < conflicts.length && out.length < n; i++) {
        const entry = conflicts[i]!;
        if (collection !== undefined && entry.collection !== collection) continue;
        out.push({ ...entry, versions: decodeConflictVersions(entry.versions) });
      }
      return out;
    },

    async readLog(after, limit) {
      checkOpen();
      const start = firstAfter(log, Math.floor(after));
      return log.slice(start, start + rowLimit(limit)).map(toEntry);
    },

    async logHead() {
      checkOpen();
      return head;
    },

    async appliedSeqs() {
      checkOpen();
      return Object.fromEntries(applied);
    },

    async positionAfter(covered) {
      checkOpen();
      // The first uncovered logged entry of each origin is its change max(appliedSeq, truncated) + 1; the
      // earliest of those bounds p.
      let firstUncovered = head + 1;
      for (const [origin, positions] of positionsByOrigin) {
        const gone = truncated.get(origin) ?? 0;
        const position = positions[Math.max(appliedSeqOf(covered, origin), gone) - gone];
        if (position !== undefined && position < firstUncovered) firstUncovered = position;
      }
      return firstUncovered - 1;
    },

    async truncatedSeqs() {
      checkOpen();
      return Object.fromEntries(truncated);
    },

    async truncateLog(watermark) {
      checkOpen();
      let removed = 0;
      for (const [origin, seq] of applied) {
        const gone = truncated.get(origin) ?? 0;
        const upTo = Math.min(appliedSeqOf(watermark, origin), seq);
        if (upTo <= gone) continue;
        for (const entry of dropOldest(origin, upTo - gone)) {
          versionFloor = maxVersion(versionFloor, entry.version);
          removed++;
        }
        truncated.set(origin, upTo);
      }
      return removed;
    },

    async purgeTombstones(stable, options = {}) {
      checkOpen();
      let purged = 0;
      for (const c of collections.values()) {
        for (const doc of [...c.docs.values()]) {
          if (!tombstonePurgeable(doc, stable, options.versionBelow)) continue;
          remove(doc);
          versionFloor = maxVersion(versionFloor, doc.version);
          purged++;
        }
      }
      return purged;
    },

    async versionFloor() {
      checkOpen();
      return versionFloor;
    },

    async openSnapshot(): Promise<StoreSnapshot> {
      checkOpen();
      return arraySnapshot({
        applied: Object.fromEntries(applied),
        head,
        versionFloor,
        records: allRecords(),
      });
    },

    async installSnapshotPage(page: SnapshotPage) {
      checkOpen();
      const gone = new Set<StoredDoc>();
      for (const c of collections.values()) {
        for (const doc of c.docs.values()) {
          if (pageCovers(page, doc) && changeCovered(page.applied, doc.origin, doc.originSeq)) gone.add(doc);
        }
      }
      // Every merge is decided before anything changes, so a policy that throws leaves the store as it
      // was. Conflicts are not recorded (see Store.installSnapshotPage).
      // A page record merges with the local record even when the snapshot covers its change: a merged
      // record can hold local changes the snapshot lacks (see the SQLite adapter).
      const writes: StoredDoc[] = [];
      for (const incoming of page.records) {
        const local = stored(incoming.collection, incoming.key);
        const { record } = resolveRemote(merge, forMerge(local), incoming);
        if (record !== undefined) writes.push(toStored(record));
        else if (local !== undefined) writes.push(local);
      }
      for (const doc of gone) remove(doc);
      for (const doc of writes) put(doc);
      versionFloor = maxVersion(versionFloor, pageVersionBound(page));
      if (!page.last) return;
      for (const origin of Object.keys(page.applied)) {
        const seq = appliedSeqOf(page.applied, origin);
        if (seq <= (applied.get(origin) ?? 0)) continue;
        dropOldest(origin, Infinity);
        applied.set(origin, seq);
        truncated.set(origin, seq);
      }
    },

    async stats(): Promise<StoreStats> {
      checkOpen();
      let documents = 0;
      let records = 0;
      for (const c of collections.values()) {
        documents += c.liveKeys.size;
        records += c.docs.size;
      }
      return {
        documents,
        tombstones: records - documents,
        logEntries: log.length,
        conflicts: conflicts.length,
      };
    },

    async close() {
      closed = true;
    },
  };
}

/** The index of the first entry with a position above `after` (entries are in position order). */
function firstAfter(log: readonly StoredEntry[], after: number): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log[mid]!.position <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The document fields of a write or change, without extras a caller's object may carry. */
function pickDoc(doc: Omit<LocalWrite, 'value'>): Omit<LocalWrite, 'value'> {
  return {
    collection: doc.collection,
    key: doc.key,
    version: doc.version,
    origin: doc.origin,
    ...epochField(doc.epoch),
  };
}

/** The stored form of a change's record (its base, if any, is the log's business). */
function toStored(change: Change): StoredDoc {
  return { ...pickDoc(change), value: encodeValue(change.value), originSeq: change.originSeq };
}

function toRecord(doc: StoredDoc): DocRecord {
  return { ...pickDoc(doc), value: decodeValue(doc.value), originSeq: doc.originSeq };
}

function toEntry(entry: StoredEntry): LogEntry {
  return { ...toRecord(entry), ...baseField(entry.base), position: entry.position };
}
