import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveConfig } from '../config/resolve-config.ts';
import type { Change, DocRecord } from '../store/store.ts';
import { present } from './conflict-documents.ts';
import { mergePolicyFor } from './conflict-policies.ts';

const write = (origin: string, version: string, items: string[]): Change => ({
  collection: 'tags',
  key: 't',
  value: { items },
  version,
  origin,
  originSeq: 1,
});

function merged(resolve: (a: { items?: string[] }, b: { items?: string[] }) => unknown) {
  const config = resolveConfig({
    regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }],
    collections: { tags: { conflict: { resolve } } },
  });
  const merge = mergePolicyFor(config);
  const a = write('us-east-1', '0000000000010000@us-east-1', ['red']);
  const b = write('eu-west-1', '0000000000020000@eu-west-1', ['blue']);
  // Both orders: the stored record is the same.
  const [ab, ba] = [
    [a, b],
    [b, a],
  ].map(([first, second]) => {
    const outcome = merge(first as DocRecord, second!);
    assert.ok('merged' in outcome.result);
    return { outcome, record: { ...second!, ...outcome.result.merged } };
  });
  assert.deepEqual(ab!.record.value, ba!.record.value);
  assert.equal(ab!.outcome.conflict?.rule, 'resolver');
  const shown = present(
    { policy: config.collections['tags']!, collection: 'tags', key: 't' },
    { ...ab!.record, json: JSON.stringify(ab!.record.value) },
    0,
  );
  return shown;
}

test('a resolver merges concurrent versions at read time, the same whichever arrived first', () => {
  const shown = merged((a, b) => ({ items: [...(a.items ?? []), ...(b.items ?? [])].sort() }));
  assert.equal(shown.status, 200);
  assert.deepEqual(JSON.parse(shown.json), { items: ['blue', 'red'] });
});

test('a resolver that throws, or returns no object, leaves both versions as siblings: nothing lost', () => {
  for (const resolve of [
    () => {
      throw new Error('cannot merge');
    },
    () => 'not an object',
  ]) {
    const shown = merged(resolve);
    assert.equal(shown.status, 300);
    const { siblings } = JSON.parse(shown.json) as { siblings: { value: { items: string[] } }[] };
    assert.deepEqual(siblings.map((s) => s.value.items[0]).sort(), ['blue', 'red']);
  }
});

test('a merge never throws on a document from before the policy: an empty plain document under crdt', () => {
  const config = resolveConfig({
    regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }],
    collections: { tags: { conflict: 'crdt' } },
  });
  const merge = mergePolicyFor(config);
  const plain: DocRecord = { ...write('us-east-1', '0000000000010000@us-east-1', []), value: {} };
  const outcome = merge(plain, write('eu-west-1', '0000000000020000@eu-west-1', ['x']));
  assert.ok('merged' in outcome.result);
});
