import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatVersion } from '../core/version.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import { highestVersion, loadRegionClock } from './highest-version.ts';
import { compareVersions } from '../core/version.ts';

const v = (wall: number, region: string) => formatVersion({ wall, counter: 0 }, region);

test('an empty store has no highest version', async () => {
  assert.equal(await highestVersion(createMemoryStore()), undefined);
});

test('finds the highest version even when the last log entry is an older remote change', async () => {
  const store = createMemoryStore();
  await store.writeLocal(
    { collection: 'c', key: 'a', value: {}, version: v(500, 'r1'), origin: 'r1' },
    { kind: 'none' },
  );
  await store.applyRemote({
    collection: 'c',
    key: 'b',
    value: {},
    version: v(100, 'r2'),
    origin: 'r2',
    originSeq: 1,
  });
  assert.equal(await highestVersion(store), v(500, 'r1'));
  const clock = await loadRegionClock(store, { region: 'r1', now: () => 0, maxOffsetMs: 100 });
  assert.ok(compareVersions(clock.tick(), v(500, 'r1')) > 0);
});

test('property: equals the maximum over the log when each origin’s versions grow with its seq', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({ origin: fc.constantFrom('r1', 'r2', 'r3'), step: fc.integer({ min: 1, max: 50 }) }),
        {
          maxLength: 40,
        },
      ),
      async (changes) => {
        const store = createMemoryStore();
        const walls = new Map<string, number>();
        const seqs = new Map<string, number>();
        let max: string | undefined;
        for (const { origin, step } of changes) {
          const wall = (walls.get(origin) ?? 0) + step;
          const originSeq = (seqs.get(origin) ?? 0) + 1;
          walls.set(origin, wall);
          seqs.set(origin, originSeq);
          const version = v(wall, origin);
          await store.applyRemote({ collection: 'c', key: 'k', value: null, version, origin, originSeq });
          if (max === undefined || compareVersions(version, max) > 0) max = version;
        }
        assert.equal(await highestVersion(store), max);
      },
    ),
    { numRuns: 100 },
  );
});

test('counts what left the log: truncated entries, purged tombstones, installed snapshots', async () => {
  const store = createMemoryStore();
  await store.writeLocal(
    { collection: 'c', key: 'a', value: null, version: v(900, 'r1'), origin: 'r1' },
    { kind: 'none' },
  );
  await store.applyRemote({
    collection: 'c',
    key: 'b',
    value: {},
    version: v(100, 'r2'),
    origin: 'r2',
    originSeq: 1,
  });
  await store.truncateLog({ r1: 1 });
  await store.purgeTombstones({ r1: 1 });
  assert.equal(await highestVersion(store), v(900, 'r1'));
  await store.installSnapshotPage({
    applied: {},
    versionFloor: v(950, 'r3'),
    after: undefined,
    records: [],
    last: false,
  });
  assert.equal(await highestVersion(store), v(950, 'r3'));
});
