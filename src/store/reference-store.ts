// A deliberately naive Store written straight from the rules in store.ts and merge-policy.ts (linear
// scans, sort on every list, applied seqs recomputed from the log, last-write-wins and its conflicts
// spelled out again): the oracle the conformance property checks adapters against.

import { Buffer } from 'node:buffer';
import type { Change, ConflictEntry, DocRecord, LogEntry, Store } from './store.ts';
import { appliedSeqOf } from './store-semantics.ts';

/** Keys order by their UTF-8 bytes. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function createReferenceStore(): Store {
  /** Each record as the change that wrote it. */
  let docs: Change[] = [];
  let log: LogEntry[] = [];
  let head = 0;
  const truncated: Record<string, number> = {};
  let floor: string | undefined;
  let conflicts: ConflictEntry[] = [];

  const find = (collection: string, key: string) =>
    docs.find((d) => d.collection === collection && d.key === key);
  const replace = (doc: Change) => {
    docs = [...docs.filter((d) => !(d.collection === doc.collection && d.key === doc.key)), doc];
  };
  const lastSeq = (origin: string) =>
    Math.max(truncated[origin] ?? 0, ...log.filter((e) => e.origin === origin).map((e) => e.originSeq));
  const origins = () => [...new Set([...Object.keys(truncated), ...log.map((e) => e.origin)])];
  const raise = (version: string | undefined) => {
    if (version !== undefined && (floor === undefined || version > floor)) floor = version;
  };
  /** The record's own fields, the epoch only when it has one. */
  const record = (c: Change): DocRecord => ({
    collection: c.collection,
    key: c.key,
    value: c.value,
    version: c.version,
    origin: c.origin,
    originSeq: c.originSeq,
    ...(c.epoch === undefined ? {} : { epoch: c.epoch }),
  });
  const entry = (c: Change, base: string | undefined): LogEntry => ({
    ...record(c),
    ...(base === undefined ? {} : { base }),
    position: ++head,
  });
  const covered = (applied: Readonly<Record<string, number>>, d: Change) =>
    d.originSeq > 0 && d.originSeq <= appliedSeqOf(applied, d.origin);
  const byDocKey = (a: Change, b: Change) =>
    compareUtf8(a.collection, b.collection) || compareUtf8(a.key, b.key);

  return {
    kind: 'reference',
    async get(collection, key) {
      const doc = find(collection, key);
      return doc && record(doc);
    },
    async list(collection, { prefix = '', after, limit }) {
      return docs
        .filter((d) => d.collection === collection && d.value !== null && d.key.startsWith(prefix))
        .filter((d) => after === undefined || compareUtf8(d.key, after) > 0)
        .sort((a, b) => compareUtf8(a.key, b.key))
        .slice(0, Math.max(0, limit))
        .map((d) => record(d));
    },
    async writeLocal(write, precondition) {
      const current = find(write.collection, write.key);
      const passes =
        precondition.kind === 'none' ||
        (precondition.kind === 'version' && current?.version === precondition.version) ||
        (precondition.kind === 'absent' && (current === undefined || current.value === null));
      if (!passes) return { ok: false, current: current && record(current) };
      const doc = record({ ...write, originSeq: lastSeq(write.origin) + 1 });
      const logged = entry(doc, current?.version);
      log.push(logged);
      replace(doc);
      return { ok: true, entry: logged };
    },
    async applyRemote(change) {
      const last = lastSeq(change.origin);
      if (change.originSeq <= last) return 'duplicate';
      if (change.originSeq > last + 1) return 'gap';
      log.push(entry(change, change.base));
      const current = find(change.collection, change.key);
      const wins = current === undefined || change.version > current.version;
      // Written concurrently: the change did not replace this record at its writer, and is not it.
      if (current !== undefined && change.base !== current.version && change.version !== current.version) {
        const competing = [current, change]
          .map((c) => ({ version: c.version, origin: c.origin, value: c.value }))
          .sort((a, b) => (a.version < b.version ? -1 : 1));
        conflicts = [
          ...conflicts,
          {
            id: conflicts.length + 1,
            collection: change.collection,
            key: change.key,
            rule: 'lww',
            winner: wins ? change.version : current.version,
            versions: competing,
          },
        ];
      }
      if (!wins) return 'superseded';
      replace(record(change));
      return 'applied';
    },
    async readConflicts({ collection, after = 0, limit }) {
      return conflicts
        .filter((c) => c.id > after && (collection === undefined || c.collection === collection))
        .slice(0, Math.max(0, limit))
        .map((c) => structuredClone(c));
    },
    async readLog(after, limit) {
      return log.filter((e) => e.position > after).slice(0, Math.max(0, limit));
    },
    async logHead() {
      return head;
    },
    async appliedSeqs() {
      return Object.fromEntries(origins().map((origin) => [origin, lastSeq(origin)]));
    },
    async positionAfter(applied) {
      const first = log.find((e) => e.originSeq > appliedSeqOf(applied, e.origin));
      return first === undefined ? head : first.position - 1;
    },
    async truncatedSeqs() {
      return Object.fromEntries(Object.entries(truncated).filter(([, seq]) => seq > 0));
    },
    async truncateLog(watermark) {
      let removed = 0;
      for (const origin of origins()) {
        const upTo = Math.min(appliedSeqOf(watermark, origin), lastSeq(origin));
        if (upTo <= (truncated[origin] ?? 0)) continue;
        const gone = log.filter((e) => e.origin === origin && e.originSeq <= upTo);
        for (const e of gone) raise(e.version);
        removed += gone.length;
        log = log.filter((e) => !gone.includes(e));
        truncated[origin] = upTo;
      }
      return removed;
    },
    async purgeTombstones(stable, { versionBelow } = {}) {
      const gone = docs.filter(
        (d) =>
          d.value === null && covered(stable, d) && (versionBelow === undefined || d.version < versionBelow),
      );
      for (const d of gone) raise(d.version);
      docs = docs.filter((d) => !gone.includes(d));
      return gone.length;
    },
    async versionFloor() {
      return floor;
    },
    async openSnapshot() {
      const records = [...docs].sort(byDocKey);
      const applied = Object.fromEntries(origins().map((origin) => [origin, lastSeq(origin)]));
      const at = { applied, head, versionFloor: floor };
      return {
        ...at,
        async read(after, limit) {
          return records
            .filter((r) => after === undefined || byDocKey(r, { ...r, ...after }) > 0)
            .slice(0, Math.max(0, limit))
            .map((r) => ({ ...r }));
        },
        async close() {},
      };
    },
    async installSnapshotPage(page) {
      const end = page.records.at(-1);
      const inRange = (d: Change) =>
        (page.after === undefined || byDocKey(d, { ...d, ...page.after }) > 0) &&
        (page.last || (end !== undefined && byDocKey(d, end) <= 0));
      // Page records merge with the local record as it was before covered records are dropped.
      const winners = page.records.map((r) => {
        const current = find(r.collection, r.key);
        raise(r.version);
        return current === undefined || r.version > current.version ? record(r) : current;
      });
      docs = docs.filter((d) => !(inRange(d) && covered(page.applied, d)));
      for (const w of winners) replace(w);
      raise(page.versionFloor);
      if (!page.last) return;
      for (const origin of Object.keys(page.applied)) {
        const seq = appliedSeqOf(page.applied, origin);
        if (seq <= lastSeq(origin)) continue;
        log = log.filter((e) => e.origin !== origin);
        truncated[origin] = seq;
      }
    },
    async stats() {
      const live = docs.filter((d) => d.value !== null).length;
      return {
        documents: live,
        tombstones: docs.length - live,
        logEntries: log.length,
        conflicts: conflicts.length,
      };
    },
    async close() {},
  };
}
