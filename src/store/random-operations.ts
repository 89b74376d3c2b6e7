// Random Store operations for the conformance property: the same sequence is run against an adapter
// and against the reference store, and every result must be equal.

import fc from 'fast-check';
import type { JsonObject } from '../core/json.ts';
import { formatVersion } from '../core/version.ts';
import { compareUtf8 } from './reference-store.ts';
import type {
  Change,
  DocKey,
  ListOptions,
  LocalWrite,
  Precondition,
  ReadConflictsOptions,
  SnapshotPage,
  Store,
} from './store.ts';

export type Operation =
  | { readonly kind: 'writeLocal'; readonly write: LocalWrite; readonly precondition: Precondition }
  | { readonly kind: 'applyRemote'; readonly change: Change }
  | { readonly kind: 'get'; readonly collection: string; readonly key: string }
  | { readonly kind: 'list'; readonly collection: string; readonly options: ListOptions }
  | { readonly kind: 'readLog'; readonly after: number; readonly limit: number }
  | { readonly kind: 'readConflicts'; readonly options: ReadConflictsOptions }
  | { readonly kind: 'positionAfter'; readonly applied: Readonly<Record<string, number>> }
  | { readonly kind: 'truncateLog'; readonly watermark: Readonly<Record<string, number>> }
  | {
      readonly kind: 'purgeTombstones';
      readonly stable: Readonly<Record<string, number>>;
      readonly versionBelow?: string;
    }
  | { readonly kind: 'readSnapshot'; readonly pageSize: number }
  | { readonly kind: 'installSnapshotPage'; readonly page: SnapshotPage }
  | { readonly kind: 'state' };

export async function runOperation(store: Store, op: Operation): Promise<unknown> {
  switch (op.kind) {
    case 'writeLocal':
      return store.writeLocal(op.write, op.precondition);
    case 'applyRemote':
      return store.applyRemote(op.change);
    case 'get':
      return store.get(op.collection, op.key);
    case 'list':
      return store.list(op.collection, op.options);
    case 'readLog':
      return store.readLog(op.after, op.limit);
    case 'readConflicts':
      return store.readConflicts(op.options);
    case 'positionAfter':
      return store.positionAfter(op.applied);
    case 'truncateLog':
      return store.truncateLog(op.watermark);
    case 'purgeTombstones':
      return store.purgeTombstones(op.stable, { versionBelow: op.versionBelow });
    case 'readSnapshot':
      return readSnapshot(store, op.pageSize);
    case 'installSnapshotPage':
      return store.installSnapshotPage(op.page);
    case 'state':
      return [
        await store.logHead(),
        await store.appliedSeqs(),
        await store.truncatedSeqs(),
        await store.versionFloor(),
        await store.stats(),
        await store.list('c1', { limit: 100 }),
        await store.list('c2', { limit: 100 }),
        await store.readConflicts({ limit: 100 }),
      ];
  }
}

/** Every page of a snapshot, read `pageSize` records at a time, with what the snapshot reflects. */
async function readSnapshot(store: Store, pageSize: number): Promise<unknown> {
  const snap = await store.openSnapshot();
  try {
    const pages: Change[][] = [];
    let after: DocKey | undefined;
    for (;;) {
      const page = await snap.read(after, pageSize);
      pages.push(page);
      after = page.at(-1) ?? after;
      if (page.length < pageSize) break;
    }
    return [snap.applied, snap.head, snap.versionFloor, pages];
  } finally {
    await snap.close();
  }
}

// Small pools, so that operations collide: same keys, matching versions, next and repeated seqs.
const collection = fc.constantFrom('c1', 'c2');
const key = fc.constantFrom('a', 'a%', 'a_', 'ab', 'a\uE000', 'a\u{1F600}', 'b', 'é');
const origin = fc.constantFrom('r1', 'r2', 'r3');
const version = fc
  .record({ clock: fc.integer({ min: 1, max: 3 }), region: fc.constantFrom('r1', 'r2') })
  .map((x) => formatVersion({ wall: x.clock, counter: 0 }, x.region));
const value = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 3,
    arbitrary: fc
      .dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
      .map((object) => JSON.parse(JSON.stringify(object)) as JsonObject),
  },
);
const precondition: fc.Arbitrary<Precondition> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.constant({ kind: 'absent' as const }),
  version.map((version) => ({ kind: 'version' as const, version })),
);
// The epoch is left out as often as not: an absent epoch must read back absent.
const epoch = fc.integer({ min: 1, max: 3 });
const doc = fc.record(
  { collection, key, value, version, origin, epoch },
  { requiredKeys: ['collection', 'key', 'value', 'version', 'origin'] },
);
const seqs = fc.dictionary(origin, fc.integer({ min: -1, max: 5 }), { maxKeys: 3 });
const docKey = fc.record({ collection, key });
const byDocKey = (a: DocKey, b: DocKey) =>
  compareUtf8(a.collection, b.collection) || compareUtf8(a.key, b.key);
/** A well-formed page: records after `after`, in order, one per key. */
const snapshotPage: fc.Arbitrary<SnapshotPage> = fc
  .record({
    applied: seqs,
    versionFloor: fc.option(version, { nil: undefined }),
    after: fc.option(docKey, { nil: undefined }),
    records: fc.array(
      fc
        .record({ doc, originSeq: fc.integer({ min: 1, max: 5 }) })
        .map(({ doc, originSeq }) => ({ ...doc, originSeq })),
      { maxLength: 4 },
    ),
    last: fc.boolean(),
  })
  .map((page) => {
    const after = page.after;
    const records = page.records
      .filter((r) => after === undefined || byDocKey(r, after) > 0)
      .sort(byDocKey)
      .filter((r, i, all) => i === 0 || byDocKey(all[i - 1]!, r) !== 0);
    return { ...page, records };
  });

const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  weighted(4, fc.record({ kind: fc.constant('writeLocal'), write: doc, precondition })),
  weighted(
    4,
    fc.record({
      kind: fc.constant('applyRemote'),
      // The base is drawn from the same small pool of versions (or left out), so that a change sometimes
      // follows the record it meets and sometimes conflicts with it.
      change: fc
        .record(
          { doc, originSeq: fc.integer({ min: 1, max: 4 }), base: version },
          { requiredKeys: ['doc', 'originSeq'] },
        )
        .map(({ doc, ...rest }) => ({ ...doc, ...rest })),
    }),
  ),
  weighted(1, fc.record({ kind: fc.constant('get'), collection, key })),
  weighted(
    2,
    fc.record({
      kind: fc.constant('list'),
      collection,
      options: fc.record(
        {
          prefix: fc.constantFrom('', 'a', 'a%', 'a_', 'ab', 'a\uE000', 'é'),
          after: key,
          limit: fc.integer({ min: 0, max: 5 }),
        },
        { requiredKeys: ['limit'] },
      ),
    }),
  ),
  weighted(
    1,
    fc.record({
      kind: fc.constant('readLog'),
      after: fc.integer({ min: 0, max: 10 }),
      limit: fc.integer({ min: 0, max: 5 }),
    }),
  ),
  weighted(
    1,
    fc.record({
      kind: fc.constant('positionAfter'),
      applied: fc.dictionary(origin, fc.integer({ min: -1, max: 5 }), { maxKeys: 3 }),
    }),
  ),
  weighted(
    1,
    fc.record({
      kind: fc.constant('readConflicts'),
      options: fc.record(
        {
          collection,
          after: fc.integer({ min: -1, max: 4 }),
          limit: fc.integer({ min: 0, max: 5 }),
        },
        { requiredKeys: ['limit'] },
      ),
    }),
  ),
  weighted(1, fc.record({ kind: fc.constant('truncateLog'), watermark: seqs })),
  weighted(
    1,
    fc.record(
      { kind: fc.constant('purgeTombstones'), stable: seqs, versionBelow: version },
      { requiredKeys: ['kind', 'stable'] },
    ),
  ),
  weighted(1, fc.record({ kind: fc.constant('readSnapshot'), pageSize: fc.integer({ min: 1, max: 3 }) })),
  weighted(1, fc.record({ kind: fc.constant('installSnapshotPage'), page: snapshotPage })),
  weighted(1, fc.constant({ kind: 'state' as const })),
);

/** Sequences of up to 40 operations, usually long enough for writes to collide. */
export const operations = fc.array(operation, { maxLength: 40, size: 'max' });
