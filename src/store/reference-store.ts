// A deliberately naive Store written straight from the rules in store.ts (linear scans, sort on every
// list, applied seqs recomputed from the log): the oracle the conformance property checks adapters against.

import { Buffer } from 'node:buffer';
import type { Change, DocRecord, LogEntry, Store } from './store.ts';
import { appliedSeqOf } from './store-semantics.ts';

/** Keys order by their UTF-8 bytes. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function createReferenceStore(): Store {
  let docs: DocRecord[] = [];
  const log: LogEntry[] = [];

  const find = (collection: string, key: string) =>
    docs.find((d) => d.collection === collection && d.key === key);
  const replace = (doc: DocRecord) => {
    docs = [...docs.filter((d) => !(d.collection === doc.collection && d.key === doc.key)), doc];
  };
  const lastSeq = (origin: string) =>
    Math.max(0, ...log.filter((e) => e.origin === origin).map((e) => e.originSeq));
  const record = (c: Change | DocRecord): DocRecord => ({
    collection: c.collection,
    key: c.key,
    value: c.value,
    version: c.version,
    origin: c.origin,
  });

  return {
    kind: 'reference',
    async get(collection, key) {
      return find(collection, key);
    },
    async list(collection, { prefix = '', after, limit }) {
      return docs
        .filter((d) => d.collection === collection && d.value !== null && d.key.startsWith(prefix))
        .filter((d) => after === undefined || compareUtf8(d.key, after) > 0)
        .sort((a, b) => compareUtf8(a.key, b.key))
        .slice(0, Math.max(0, limit));
    },
    async writeLocal(write, precondition) {
      const current = find(write.collection, write.key);
      const passes =
        precondition.kind === 'none' ||
        (precondition.kind === 'version' && current?.version === precondition.version) ||
        (precondition.kind === 'absent' && (current === undefined || current.value === null));
      if (!passes) return { ok: false, current };
      const entry = { ...record(write), originSeq: lastSeq(write.origin) + 1, position: log.length + 1 };
      log.push(entry);
      replace(record(write));
      return { ok: true, entry };
    },
    async applyRemote(change) {
      const last = lastSeq(change.origin);
      if (change.originSeq <= last) return 'duplicate';
      if (change.originSeq > last + 1) return 'gap';
      log.push({ ...record(change), originSeq: change.originSeq, position: log.length + 1 });
      const current = find(change.collection, change.key);
      if (current !== undefined && !(change.version > current.version)) return 'superseded';
      replace(record(change));
      return 'applied';
    },
    async readLog(after, limit) {
      return log.filter((e) => e.position > after).slice(0, Math.max(0, limit));
    },
    async logHead() {
      return log.length;
    },
    async appliedSeqs() {
      return Object.fromEntries(log.map((e) => [e.origin, lastSeq(e.origin)]));
    },
    async positionAfter(applied) {
      const first = log.find((e) => e.originSeq > appliedSeqOf(applied, e.origin));
      return first === undefined ? log.length : first.position - 1;
    },
    async stats() {
      const live = docs.filter((d) => d.value !== null).length;
      return { documents: live, tombstones: docs.length - live, logEntries: log.length };
    },
    async close() {},
  };
}
