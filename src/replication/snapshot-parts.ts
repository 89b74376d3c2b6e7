// Cuts a store snapshot into parts for the wire: pages of records in (collection, key) order, bounded by
// a record count and an estimated byte size, numbered from 0, the last one marked.

import type { Change, DocKey, StoreSnapshot } from '../store/store.ts';
import type { BatchLimits } from './batch-reader.ts';
import type { SnapshotPart } from './replication-port.ts';

/** The parts of `snapshot`, one page read per part (a record larger than the byte bound goes alone). */
export async function* snapshotParts(
  snapshot: StoreSnapshot,
  limits: BatchLimits,
  signal: AbortSignal,
): AsyncGenerator<SnapshotPart> {
  const { applied, versionFloor } = snapshot;
  let after: DocKey | undefined;
  for (let part = 0; !signal.aborted; part++) {
    const page = await snapshot.read(after, limits.maxBatchEntries);
    const records: Change[] = [];
    let bytes = 0;
    for (const record of page) {
      const size = recordBytes(record);
      if (records.length > 0 && bytes + size > limits.maxBatchBytes) break;
      records.push(record);
      bytes += size;
    }
    // A short page read in full reaches the end of the snapshot.
    const last = page.length < limits.maxBatchEntries && records.length === page.length;
    yield {
      part,
      applied,
      ...(versionFloor === undefined ? {} : { versionFloor }),
      ...(after === undefined ? {} : { after: { collection: after.collection, key: after.key } }),
      records,
      last,
    };
    if (last) return;
    after = records.at(-1) ?? after;
  }
}

/** An estimate of a record's encoded size: its strings plus its value as JSON text. */
export function recordBytes(record: Change): number {
  const value = record.value === null ? 4 : JSON.stringify(record.value).length;
  return (
    record.collection.length + record.key.length + record.version.length + record.origin.length + value + 24
  );
}
