// In-memory Store adapter for tests and the simulator: Maps, an array log, and a sorted set of live
// keys per collection so that list pages by binary search.

import { listStart } from './key-order.ts';
import { SortedKeys } from './sorted-keys.ts';
import type { ApplyResult, Change, DocRecord, ListOptions, LogEntry, Store, StoreStats } from './store.ts';
import {
  appliedSeqOf,
  decodeValue,
  encodeValue,
  preconditionHolds,
  remoteOrder,
  replacesCurrent,
  rowLimit,
  storeClosedError,
} from './store-semantics.ts';

/** A record with its value kept as JSON text, so callers never share objects with the store. */
interface StoredDoc {
  readonly collection: string;
  readonly key: string;
  readonly value: string | null;
  readonly version: string;
  readonly origin: string;
}

interface StoredEntry extends StoredDoc {
  readonly originSeq: number;
  readonly position: number;
}

interface Collection {
  readonly docs: Map<string, StoredDoc>;
  /** Keys of live documents, in key order. */
  readonly liveKeys: SortedKeys;
}

export function createMemoryStore(): Store {
  const collections = new Map<string, Collection>();
  const log: StoredEntry[] = [];
  const applied = new Map<string, number>();
  /** Per origin, the log position of each of its changes: index seq - 1 (an origin's seqs are 1, 2, ...). */
  const positionsByOrigin = new Map<string, number[]>();
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

  function append(doc: StoredDoc, originSeq: number): StoredEntry {
    const entry = { ...doc, originSeq, position: log.length + 1 };
    log.push(entry);
    applied.set(doc.origin, originSeq);
    let positions = positionsByOrigin.get(doc.origin);
    if (positions === undefined) positionsByOrigin.set(doc.origin, (positions = []));
    positions.push(entry.position);
    return entry;
  }

  return {
    kind: 'memory',

    async get(collection, key) {
      checkOpen();
      const doc = stored(collection, key);
      return doc && toRecord(doc);
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
      const doc: StoredDoc = { ...pickDoc(write), value: encodeValue(write.value) };
      put(doc);
      return { ok: true, entry: toEntry(append(doc, (applied.get(write.origin) ?? 0) + 1)) };
    },

    async applyRemote(change: Change): Promise<ApplyResult> {
      checkOpen();
      const order = remoteOrder(applied.get(change.origin) ?? 0, change.originSeq);
      if (order !== 'next') return order;
      const doc: StoredDoc = { ...pickDoc(change), value: encodeValue(change.value) };
      append(doc, change.originSeq);
      if (!replacesCurrent(change.version, stored(change.collection, change.key))) return 'superseded';
      put(doc);
      return 'applied';
    },

    async readLog(after, limit) {
      checkOpen();
      const start = Math.max(0, Math.floor(after));
      return log.slice(start, start + rowLimit(limit)).map(toEntry);
    },

    async logHead() {
      checkOpen();
      return log.length;
    },

    async appliedSeqs() {
      checkOpen();
      return Object.fromEntries(applied);
    },

    async positionAfter(covered) {
      checkOpen();
      // The first uncovered entry of each origin is its change appliedSeq + 1; the earliest of those bounds p.
      let firstUncovered = log.length + 1;
      for (const [origin, positions] of positionsByOrigin) {
        const position = positions[appliedSeqOf(covered, origin)];
        if (position !== undefined && position < firstUncovered) firstUncovered = position;
      }
      return firstUncovered - 1;
    },

    async stats(): Promise<StoreStats> {
      checkOpen();
      let documents = 0;
      let records = 0;
      for (const c of collections.values()) {
        documents += c.liveKeys.size;
        records += c.docs.size;
      }
      return { documents, tombstones: records - documents, logEntries: log.length };
    },

    async close() {
      closed = true;
    },
  };
}

/** The document fields of a write or change, without extras a caller's object may carry. */
function pickDoc(doc: Omit<DocRecord, 'value'>): Omit<StoredDoc, 'value'> {
  return { collection: doc.collection, key: doc.key, version: doc.version, origin: doc.origin };
}

function toRecord(doc: StoredDoc): DocRecord {
  return { ...pickDoc(doc), value: decodeValue(doc.value) };
}

function toEntry(entry: StoredEntry): LogEntry {
  return { ...toRecord(entry), originSeq: entry.originSeq, position: entry.position };
}
