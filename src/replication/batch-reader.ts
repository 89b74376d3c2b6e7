// Cuts the next batch from a log: entries after a position, skipping those the puller already has,
// bounded by an entry count and an estimated byte size.

import type { LogEntry, Store } from '../store/store.ts';

export interface BatchLimits {
  readonly maxBatchEntries: number;
  readonly maxBatchBytes: number;
}

export interface BatchCut {
  readonly entries: LogEntry[];
  /** The position read up to (including skipped entries): the next cut starts after it. */
  readonly after: number;
}

/**
 * Reads entries after `after`, leaving out every entry with originSeq <= covered[origin] (the puller has
 * it already), until the batch is full or the log ends. The first entry is taken whatever its size.
 */
export async function readBatch(
  store: Store,
  after: number,
  covered: ReadonlyMap<string, number>,
  limits: BatchLimits,
): Promise<BatchCut> {
  const entries: LogEntry[] = [];
  let bytes = 0;
  let cursor = after;
  for (;;) {
    const page = await store.readLog(cursor, limits.maxBatchEntries);
    for (const entry of page) {
      if (entry.originSeq <= (covered.get(entry.origin) ?? 0)) {
        cursor = entry.position;
        continue;
      }
      const size = entryBytes(entry);
      const full = entries.length >= limits.maxBatchEntries || bytes + size > limits.maxBatchBytes;
      if (entries.length > 0 && full) return { entries, after: cursor };
      entries.push(entry);
      bytes += size;
      cursor = entry.position;
    }
    if (page.length < limits.maxBatchEntries || entries.length >= limits.maxBatchEntries) {
      return { entries, after: cursor };
    }
  }
}

/** An estimate of an entry's encoded size: its strings plus its value as JSON text. */
export function entryBytes(entry: LogEntry): number {
  const value = entry.value === null ? 4 : JSON.stringify(entry.value).length;
  return entry.collection.length + entry.key.length + entry.version.length + entry.origin.length + value + 32;
}
