import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareVersions, formatVersion } from '../core/version.ts';
import { runUntil } from '../sim/drive.ts';
import { createVirtualClock } from '../sim/virtual-clock.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import { createMemoryTransport } from './memory-transport.ts';
import { openRegionReplication, type RegionReplication } from './region-replication.ts';
import { EPOCH } from './test-support.ts';

test('two regions wired by openRegionReplication replicate both ways; clocks resume past the store', async () => {
  const clock = createVirtualClock(EPOCH);
  const future = formatVersion({ wall: EPOCH + 60_000, counter: 0 }, 'a');
  const durableA = createMemoryStore();
  await durableA.writeLocal(
    { collection: 'c', key: 'old', value: {}, version: future, origin: 'a' },
    { kind: 'none' },
  );
  const regions = new Map<string, RegionReplication>();
  const transport = createMemoryTransport({ clock, sources: (r) => regions.get(r)?.source });
  for (const [name, store, peer] of [
    ['a', durableA, 'b'],
    ['b', createMemoryStore(), 'a'],
  ] as const) {
    const replication = await openRegionReplication({
      region: name,
      store,
      transport,
      upstream: [peer],
      regions: ['a', 'b'],
      clock,
      random: () => 0.5,
      maxClockOffsetMs: 100_000,
    });
    regions.set(name, replication);
    replication.start();
  }
  const a = regions.get('a')!;
  const b = regions.get('b')!;
  assert.ok(compareVersions(a.regionClock.tick(), future) > 0, 'a resumes after its stored version');
  const write = (r: RegionReplication, region: string, key: string) =>
    r.store.writeLocal(
      { collection: 'c', key, value: { region }, version: r.regionClock.tick(), origin: region },
      { kind: 'none' },
    );
  await write(b, 'b', 'from-b');
  await runUntil(clock, EPOCH + 100);
  await write(a, 'a', 'from-a');
  await runUntil(clock, EPOCH + 200);
  for (const r of [a, b]) assert.deepEqual(await r.store.appliedSeqs(), { a: 2, b: 1 });
  // b applied a's future version, so b's next local version is above it too.
  assert.ok(compareVersions(b.regionClock.tick(), future) > 0);
  assert.equal(a.stats().peers[0]?.applied, 1);
  await Promise.all([a.stop(), b.stop()]);
  await a.stop();
});
