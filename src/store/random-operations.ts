// Random Store operations for the conformance property: the same sequence is run against an adapter
// and against the reference store, and every result must be equal.

import fc from 'fast-check';
import type { JsonObject } from '../core/json.ts';
import { formatVersion } from '../core/version.ts';
import type { Change, ListOptions, LocalWrite, Precondition, Store } from './store.ts';

export type Operation =
  | { readonly kind: 'writeLocal'; readonly write: LocalWrite; readonly precondition: Precondition }
  | { readonly kind: 'applyRemote'; readonly change: Change }
  | { readonly kind: 'get'; readonly collection: string; readonly key: string }
  | { readonly kind: 'list'; readonly collection: string; readonly options: ListOptions }
  | { readonly kind: 'readLog'; readonly after: number; readonly limit: number }
  | { readonly kind: 'positionAfter'; readonly applied: Readonly<Record<string, number>> }
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
    case 'positionAfter':
      return store.positionAfter(op.applied);
    case 'state':
      return [
        await store.logHead(),
        await store.appliedSeqs(),
        await store.stats(),
        await store.list('c1', { limit: 100 }),
        await store.list('c2', { limit: 100 }),
      ];
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
const doc = fc.record({ collection, key, value, version, origin });

const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  weighted(4, fc.record({ kind: fc.constant('writeLocal'), write: doc, precondition })),
  weighted(
    4,
    fc.record({
      kind: fc.constant('applyRemote'),
      change: fc
        .record({ doc, originSeq: fc.integer({ min: 1, max: 4 }) })
        .map(({ doc, originSeq }) => ({ ...doc, originSeq })),
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
  weighted(1, fc.constant({ kind: 'state' as const })),
);

/** Sequences of up to 40 operations, usually long enough for writes to collide. */
export const operations = fc.array(operation, { maxLength: 40, size: 'max' });
