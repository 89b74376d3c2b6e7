// Snapshots over the memory transport: a source serves one when the puller needs truncated entries, the
// replicator installs it (also across a broken stream), clocks pass what it covers, and the log
// collector truncates and purges only what every region has.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareVersions, formatVersion } from '../core/version.ts';
import { runUntil } from '../sim/drive.ts';
import { createVirtualClock, type VirtualClock } from '../sim/virtual-clock.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import type { Store } from '../store/store.ts';
import type { BatchFate, MemoryNetwork } from './memory-network.ts';
import { createMemoryTransport } from './memory-transport.ts';
import { openRegionReplication, type RegionReplication } from './region-replication.ts';
import type { ReplicationBatch } from './replication-port.ts';
import type { ReplicatorEvent } from './replicator-events.ts';
import { collect, EPOCH } from './test-support.ts';

interface Cluster {
  readonly clock: VirtualClock;
  readonly nodes: Map<string, RegionReplication>;
  readonly events: Array<ReplicatorEvent & { at: string }>;
  /** Opens (and starts) a region; it pulls from `upstream`. */
  open(name: string, upstream: string[], store?: Store): Promise<RegionReplication>;
  write(name: string, key: string, value: Record<string, number> | null): Promise<void>;
  until(ms: number): Promise<void>;
}

function cluster(
  regions: string[],
  options: { network?: MemoryNetwork; gcIntervalMs?: number; maxBatchEntries?: number } = {},
): Cluster {
  const clock = createVirtualClock(EPOCH);
  const nodes = new Map<string, RegionReplication>();
  const transport = createMemoryTransport({
    clock,
    network: options.network,
    sources: (r) => nodes.get(r)?.source,
  });
  const events: Cluster['events'] = [];
  return {
    clock,
    nodes,
    events,
    async open(name, upstream, store = createMemoryStore()) {
      const node = await openRegionReplication({
        region: name,
        store,
        transport,
        upstream,
        regions,
        clock,
        random: () => 0.5,
        maxClockOffsetMs: 500,
        sourceTuning: { maxBatchEntries: options.maxBatchEntries ?? 2, lingerMs: 0, heartbeatMs: 100 },
        replicatorTuning: { backoffInitialMs: 50, backoffMaxMs: 200, idleTimeoutMs: 500 },
        retentionTuning: { gcIntervalMs: options.gcIntervalMs ?? 0, tombstoneGraceMs: 0 },
        onEvent: (e) => events.push({ ...e, at: name }),
      });
      nodes.set(name, node);
      node.start();
      return node;
    },
    async write(name, key, value) {
      const node = nodes.get(name)!;
      const result = await node.store.writeLocal(
        { collection: 'c', key, value, version: node.regionClock.tick(), origin: name },
        { kind: 'none' },
      );
      assert.ok(result.ok);
    },
    async until(ms) {
      await runUntil(clock, EPOCH + ms);
    },
  };
}

/** Every record, tombstones included, as [key, version, value]. */
async function records(store: Store) {
  const snapshot = await store.openSnapshot();
  try {
    return (await snapshot.read(undefined, Infinity)).map((r) => [r.key, r.version, r.value]);
  } finally {
    await snapshot.close();
  }
}

test('a source serves a snapshot when the puller lacks truncated entries, then the log after it', async () => {
  const c = cluster(['a', 'b']);
  const a = await c.open('a', []);
  for (let i = 0; i < 5; i++) await c.write('a', `k${i}`, { i });
  await c.write('a', 'k1', null);
  await a.store.truncateLog({ a: 4 });
  const stop = new AbortController();
  const got = collect(a.source.serve({ region: 'b', applied: { a: 3 } }, stop.signal));
  await c.until(1);
  await c.write('a', 'k9', { i: 9 });
  await c.until(2);
  const parts = got.items.filter((b) => b.snapshot !== undefined);
  assert.deepEqual(
    parts.map((b) => [b.snapshot!.part, b.snapshot!.records.map((r) => r.key), b.snapshot!.last]),
    [
      [0, ['k0', 'k1'], false],
      [1, ['k2', 'k3'], false],
      [2, ['k4'], true],
    ],
  );
  assert.deepEqual(parts[0]!.snapshot!.applied, { a: 6 });
  assert.deepEqual(parts[1]!.snapshot!.after, { collection: 'c', key: 'k1' });
  assert.deepEqual(parts[0]!.applied, { a: 6 }, 'the greeting rides on the first part');
  assert.ok(parts[0]!.progress !== undefined);
  // The tombstone of k1 travels with its change.
  assert.deepEqual(
    parts[0]!.snapshot!.records.map((r) => [r.value, r.originSeq]),
    [
      [{ i: 0 }, 1],
      [null, 6],
    ],
  );
  // After the snapshot, the log from the position it reflects: only the new write.
  const after = got.items.slice(parts.length).flatMap((b) => b.entries.map((e) => [e.origin, e.originSeq]));
  assert.deepEqual(after, [['a', 7]]);
  // A puller at or past the truncation point gets the log.
  const fromLog = collect(a.source.serve({ region: 'b', applied: { a: 4 } }, stop.signal));
  await c.until(3);
  assert.equal(fromLog.items[0]?.snapshot, undefined);
  assert.deepEqual(
    fromLog.items.flatMap((b) => b.entries.map((e) => e.originSeq)),
    [5, 6, 7],
  );
  stop.abort();
  await Promise.all([got.done, fromLog.done]);
  assert.ok(c.events.some((e) => e.type === 'snapshot-sent' && e.peer === 'b'));
  await a.stop();
});

test('a region bootstraps from a snapshot, then follows the log', async () => {
  const c = cluster(['a', 'b']);
  const a = await c.open('a', []);
  for (let i = 0; i < 5; i++) await c.write('a', `k${i}`, { i });
  await c.write('a', 'k2', null);
  await a.store.truncateLog({ a: 6 });
  const b = await c.open('b', ['a']);
  await c.until(100);
  assert.deepEqual(await records(b.store), await records(a.store));
  assert.deepEqual(await b.store.appliedSeqs(), { a: 6 });
  assert.deepEqual(await b.store.truncatedSeqs(), { a: 6 });
  const installed = c.events.filter((e) => e.type === 'snapshot');
  assert.deepEqual(
    installed.map((e) => e.type === 'snapshot' && [e.at, e.peer, e.records]),
    [['b', 'a', 5]],
  );
  assert.equal(b.stats().peers[0]?.snapshots, 1);
  await c.write('a', 'k7', { i: 7 });
  await c.until(200);
  assert.deepEqual(await b.store.appliedSeqs(), { a: 7 });
  assert.deepEqual(
    (await b.store.readLog(0, 10)).map((e) => e.originSeq),
    [7],
  );
  await Promise.all([a.stop(), b.stop()]);
});

test('a stream broken in the middle of a snapshot leaves the puller as it was, and the next pull starts over', async () => {
  let snapshotParts = 0;
  const network: MemoryNetwork = {
    connect: () => ({ kind: 'connect', delayMs: 1 }),
    batch(_puller, _peer, batch: ReplicationBatch): BatchFate {
      // The first snapshot's third part never arrives: the connection resets there.
      if (batch.snapshot !== undefined && ++snapshotParts === 3) return { kind: 'break', delayMs: 1 };
      return { kind: 'deliver', delayMs: 1 };
    },
  };
  const c = cluster(['a', 'b'], { network });
  const a = await c.open('a', []);
  for (let i = 0; i < 7; i++) await c.write('a', `k${i}`, { i });
  await a.store.truncateLog({ a: 7 });
  const b = await c.open('b', ['a']);
  await c.until(4);
  // Two pages installed, no applied vector yet: a crash here would re-pull and get a new snapshot.
  assert.deepEqual(await b.store.appliedSeqs(), {});
  assert.equal((await b.store.stats()).documents, 4);
  await c.until(500);
  assert.deepEqual(await records(b.store), await records(a.store));
  assert.deepEqual(await b.store.appliedSeqs(), { a: 7 });
  assert.ok(c.events.some((e) => e.type === 'disconnected' && e.peer === 'a'));
  assert.equal(c.events.filter((e) => e.type === 'snapshot').length, 1);
  await Promise.all([a.stop(), b.stop()]);
});

test('a source ends a tailing stream once the log loses entries the puller still lacks', async () => {
  const c = cluster(['a', 'b']);
  const a = await c.open('a', []);
  await c.write('a', 'k0', { i: 0 });
  const stop = new AbortController();
  const got = collect(a.source.serve({ region: 'b', applied: {} }, stop.signal));
  await c.until(1);
  // a#2 goes out as soon as it is written; a#3 is truncated before the source can send it.
  await c.write('a', 'k1', { i: 1 });
  await c.write('a', 'k2', { i: 2 });
  await a.store.truncateLog({ a: 3 });
  await c.until(2);
  await got.done;
  assert.equal(got.error, undefined, 'the stream ends; the next pull gets a snapshot');
  assert.deepEqual(
    got.items.flatMap((b) => b.entries.map((e) => e.originSeq)),
    [1, 2],
  );
  await a.stop();
});

test('the puller’s clock passes every version a snapshot covers, and refuses one too far ahead', async () => {
  const c = cluster(['a', 'b', 'late']);
  const a = await c.open('a', []);
  await c.write('a', 'k0', { i: 0 });
  // a purged a tombstone written by a clock 400 ms ahead: only its version floor remembers it.
  const future = formatVersion({ wall: EPOCH + 400, counter: 0 }, 'a');
  await a.store.installSnapshotPage({
    applied: {},
    versionFloor: future,
    after: undefined,
    records: [],
    last: false,
  });
  await a.store.truncateLog({ a: 1 });
  const b = await c.open('b', ['a']);
  await c.until(50);
  assert.deepEqual(await b.store.appliedSeqs(), { a: 1 });
  assert.ok(compareVersions(b.regionClock.tick(), future) > 0, 'b writes above the purged version');
  assert.equal(await b.store.versionFloor(), future);

  const far = formatVersion({ wall: EPOCH + 60_000, counter: 0 }, 'a');
  await a.store.installSnapshotPage({
    applied: {},
    versionFloor: far,
    after: undefined,
    records: [],
    last: false,
  });
  const late = await c.open('late', ['a']);
  await c.until(300);
  assert.deepEqual(await late.store.appliedSeqs(), {});
  assert.ok(
    c.events.some(
      (e) => e.at === 'late' && e.type === 'disconnected' && e.reason.kind === 'snapshot-clock-ahead',
    ),
  );
  await Promise.all([a.stop(), b.stop(), late.stop()]);
});

test('the collector truncates and purges only once every configured region is known to have it', async () => {
  const c = cluster(['a', 'b', 'c'], { gcIntervalMs: 100, maxBatchEntries: 50 });
  const a = await c.open('a', ['b', 'c']);
  const b = await c.open('b', ['a', 'c']);
  await c.write('a', 'k0', { i: 0 });
  await c.write('a', 'k1', { i: 1 });
  await c.until(100);
  await c.write('b', 'k1', null);
  await c.until(1000);
  // c was never heard of: nothing is collected.
  assert.equal((await a.store.stats()).logEntries, 3);
  assert.ok(c.events.some((e) => e.type === 'collected' && e.blocked));
  const cNode = await c.open('c', ['a', 'b']);
  await c.until(3000);
  for (const node of [a, b, cNode]) {
    assert.deepEqual(await node.store.stats(), { documents: 1, tombstones: 0, logEntries: 0, conflicts: 0 });
    assert.deepEqual(await node.store.truncatedSeqs(), { a: 2, b: 1 });
  }
  assert.equal(
    c.events.filter((e) => e.type === 'snapshot').length,
    0,
    'c pulled the log: it was not truncated before c was known',
  );
  await Promise.all([a.stop(), b.stop(), cNode.stop()]);
});

test('a rebuilt region adopts the clock its peers remember for it before it writes again', async () => {
  const c = cluster(['a', 'b']);
  const a = await c.open('a', []);
  const remembered = formatVersion({ wall: EPOCH + 300, counter: 7 }, 'b');
  a.progress.learn({ b: { applied: { b: 1 }, clock: remembered } });
  const b = await c.open('b', ['a']);
  await c.until(10);
  assert.ok(compareVersions(b.regionClock.tick(), remembered) > 0);
  await Promise.all([a.stop(), b.stop()]);
});
