import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareVersions } from '../core/version.ts';
import { runUntil } from '../sim/drive.ts';
import { createVirtualClock, type VirtualClock } from '../sim/virtual-clock.ts';
import type { BatchFate, MemoryNetwork } from './memory-network.ts';
import { createMemoryTransport, type MemoryTransport } from './memory-transport.ts';
import { createReplicator, type Replicator } from './replicator.ts';
import type { ReplicatorEvent } from './replicator-events.ts';
import { EPOCH, testRegion, type TestRegion } from './test-support.ts';

interface World {
  readonly clock: VirtualClock;
  readonly regions: Map<string, TestRegion>;
  readonly transport: MemoryTransport;
  readonly events: ReplicatorEvent[];
  replicate(
    region: string,
    upstream: string[],
    options?: { onEvent?: (e: ReplicatorEvent) => void },
  ): Replicator;
}

function world(names: string[], network?: MemoryNetwork, maxOffsetMs = 500): World {
  const clock = createVirtualClock(EPOCH);
  const regions = new Map(
    names.map((n) => [
      n,
      testRegion(n, clock, { maxOffsetMs, tuning: { maxBatchEntries: 2, lingerMs: 0, heartbeatMs: 200 } }),
    ]),
  );
  const transport = createMemoryTransport({ clock, network, sources: (r) => regions.get(r)?.source });
  const events: ReplicatorEvent[] = [];
  return {
    clock,
    regions,
    transport,
    events,
    replicate(region, upstream, options = {}) {
      const r = regions.get(region)!;
      const replicator = createReplicator({
        region,
        store: r.store,
        transport,
        upstream,
        regionClock: r.regionClock,
        clock: { now: () => clock.now() + r.skewMs, sleep: (ms, signal) => clock.sleep(ms, signal) },
        random: () => 0.5,
        tuning: { backoffInitialMs: 100, backoffMaxMs: 1000, idleTimeoutMs: 600 },
        onEvent: options.onEvent ?? ((e) => events.push(e)),
      });
      replicator.start();
      return replicator;
    },
  };
}

const docs = async (r: TestRegion) =>
  (await r.store.list('c', { limit: 100 })).map((d) => [d.key, d.version]);

test('pulls a peer’s backlog and new writes, applying each once, with lag per origin', async () => {
  const w = world(['a', 'b']);
  const [a, b] = [w.regions.get('a')!, w.regions.get('b')!];
  for (let i = 0; i < 5; i++) await a.write(`k${i}`, { i });
  const rb = w.replicate('b', ['a']);
  await runUntil(w.clock, EPOCH + 50);
  w.clock.advanceTo(EPOCH + 1000);
  await a.write('late', { n: 1 });
  await runUntil(w.clock, EPOCH + 1100);
  assert.deepEqual(await docs(b), await docs(a));
  assert.deepEqual(await b.store.appliedSeqs(), { a: 6 });
  const [stats] = rb.stats().peers;
  assert.equal(stats?.connected, true);
  assert.equal(stats?.applied, 6);
  assert.equal(stats?.duplicate, 0);
  assert.deepEqual(stats?.lagMs, { a: 0 });
  assert.ok(w.events.some((e) => e.type === 'connected' && e.peer === 'a'));
  assert.equal(w.events.filter((e) => e.type === 'applied').length, 6);
  await rb.stop();
  await rb.stop();
  assert.equal(rb.stats().peers[0]?.connected, false);
});

test('a change reaching a region from two peers applies once; the other copy is a duplicate', async () => {
  const w = world(['a', 'b', 'c']);
  const [a, b, c] = ['a', 'b', 'c'].map((n) => w.regions.get(n)!) as [TestRegion, TestRegion, TestRegion];
  const reps = [w.replicate('a', ['b', 'c']), w.replicate('b', ['a', 'c']), w.replicate('c', ['a', 'b'])];
  for (let i = 0; i < 4; i++) {
    await a.write('x', { from: 'a', i });
    await c.write('x', { from: 'c', i });
    await runUntil(w.clock, w.clock.now() + 5);
  }
  await runUntil(w.clock, w.clock.now() + 500);
  assert.deepEqual(await docs(b), await docs(a));
  assert.deepEqual(await docs(c), await docs(a));
  for (const r of [a, b, c]) assert.deepEqual(await r.store.appliedSeqs(), { a: 4, c: 4 });
  const bStats = reps[1]!.stats().peers;
  assert.equal(
    bStats.reduce((n, p) => n + p.applied + p.superseded, 0),
    8,
  );
  assert.ok(bStats.reduce((n, p) => n + p.duplicate, 0) > 0, 'relayed copies arrive as duplicates');
  await Promise.all(reps.map((r) => r.stop()));
});

test('relays: with a-c cut, c still receives a’s changes through b', async () => {
  const cut: MemoryNetwork = {
    connect: (puller, peer) =>
      [puller, peer].sort().join() === 'a,c'
        ? { kind: 'refuse', delayMs: 50 }
        : { kind: 'connect', delayMs: 5 },
    batch: () => ({ kind: 'deliver', delayMs: 5 }),
  };
  const w = world(['a', 'b', 'c'], cut);
  const reps = [w.replicate('b', ['a', 'c']), w.replicate('c', ['a', 'b'])];
  await w.regions.get('a')!.write('k', { n: 1 });
  await runUntil(w.clock, EPOCH + 500);
  assert.deepEqual(await docs(w.regions.get('c')!), await docs(w.regions.get('a')!));
  await Promise.all(reps.map((r) => r.stop()));
});

test('a change too far ahead is refused and reported, then applied once our clock catches up', async () => {
  const w = world(['a', 'b'], undefined, 500);
  const [a, b] = [w.regions.get('a')!, w.regions.get('b')!];
  a.skewMs = 2000;
  const ahead = await a.write('k', { n: 1 });
  const rb = w.replicate('b', ['a']);
  await runUntil(w.clock, EPOCH + 50);
  assert.equal(await b.store.get('c', 'k'), undefined);
  const refused = w.events.find((e) => e.type === 'refused');
  assert.deepEqual(refused, {
    type: 'refused',
    peer: 'a',
    origin: 'a',
    originSeq: 1,
    collection: 'c',
    key: 'k',
    version: ahead.version,
    offsetMs: 2000,
  });
  const disconnected = w.events.find((e) => e.type === 'disconnected');
  assert.equal(disconnected?.type === 'disconnected' && disconnected.reason.kind, 'clock-ahead');
  // A local write meanwhile does not jump to the refused timestamp.
  const local = await b.write('mine', { n: 1 });
  assert.ok(compareVersions(local.version, ahead.version) < 0);
  await runUntil(w.clock, EPOCH + 3000);
  assert.equal((await b.store.get('c', 'k'))?.version, ahead.version);
  const stats = rb.stats().peers[0]!;
  assert.ok(stats.refused >= 2, `retried while refused (${stats.refused})`);
  assert.equal(stats.applied, 1);
  assert.ok(compareVersions((await b.write('after', {})).version, ahead.version) > 0);
  await rb.stop();
});

test('after our clock steps back, a late copy of an applied change is a duplicate, not a refusal', async () => {
  const slowFromC: MemoryNetwork = {
    connect: () => ({ kind: 'connect', delayMs: 5 }),
    batch: (puller, peer) => ({ kind: 'deliver', delayMs: puller === 'b' && peer === 'c' ? 500 : 5 }),
  };
  const w = world(['a', 'b', 'c'], slowFromC, 500);
  const b = w.regions.get('b')!;
  const reps = [w.replicate('b', ['a', 'c']), w.replicate('c', ['a'])];
  await runUntil(w.clock, EPOCH + 20);
  await w.regions.get('a')!.write('k', { n: 1 });
  await runUntil(w.clock, EPOCH + 100);
  assert.ok(await b.store.get('c', 'k'), 'applied from a');
  b.skewMs = -2000;
  await runUntil(w.clock, EPOCH + 1000);
  const fromC = reps[0]!.stats().peers.find((p) => p.peer === 'c')!;
  assert.equal(fromC.duplicate, 1);
  assert.equal(fromC.refused, 0);
  assert.equal(fromC.disconnects, 0);
  await Promise.all(reps.map((r) => r.stop()));
});

test('a reordered batch shows up as a gap: the stream is dropped and re-pulled, nothing is lost', async () => {
  const fates: BatchFate[] = [{ kind: 'reorder', delayMs: 100 }];
  const w = world(['a', 'b'], {
    connect: () => ({ kind: 'connect', delayMs: 5 }),
    batch: () => fates.shift() ?? { kind: 'deliver', delayMs: 5 },
  });
  const a = w.regions.get('a')!;
  for (let i = 0; i < 6; i++) await a.write(`k${i}`, { i });
  const rb = w.replicate('b', ['a']);
  await runUntil(w.clock, EPOCH + 1000);
  assert.deepEqual(await docs(w.regions.get('b')!), await docs(a));
  const stats = rb.stats().peers[0]!;
  assert.equal(stats.gaps, 1);
  assert.equal(stats.applied, 6);
  assert.match(stats.lastError ?? '', /a#3 arrived before an earlier change of a/);
  await rb.stop();
});

test('a stalled stream is dropped after the idle timeout and re-pulled', async () => {
  let stalls = 1;
  const w = world(['a', 'b'], {
    connect: () => ({ kind: 'connect', delayMs: 5 }),
    batch: () => (stalls-- > 0 ? { kind: 'stall' } : { kind: 'deliver', delayMs: 5 }),
  });
  await w.regions.get('a')!.write('k', {});
  const rb = w.replicate('b', ['a']);
  await runUntil(w.clock, EPOCH + 2000);
  assert.ok(await w.regions.get('b')!.store.get('c', 'k'));
  const disconnected = w.events.find((e) => e.type === 'disconnected');
  assert.deepEqual(disconnected?.type === 'disconnected' && disconnected.reason, {
    kind: 'idle',
    idleMs: 600,
  });
  await rb.stop();
});

test('a failing event listener does not stop replication; stop before start is fine', async () => {
  const w = world(['a', 'b']);
  await w.regions.get('a')!.write('k', {});
  const rb = w.replicate('b', ['a'], {
    onEvent: () => {
      throw new Error('metrics bug');
    },
  });
  await runUntil(w.clock, EPOCH + 100);
  assert.ok(await w.regions.get('b')!.store.get('c', 'k'));
  await rb.stop();
  const idle = createReplicator({
    region: 'b',
    store: w.regions.get('b')!.store,
    transport: w.transport,
    upstream: [],
    regionClock: w.regions.get('b')!.regionClock,
    clock: w.clock,
    random: () => 0,
  });
  await idle.stop();
  idle.start();
  assert.deepEqual(idle.stats(), { region: 'b', peers: [] });
});

test('no change is applied after stop', async () => {
  const w = world(['a', 'b']);
  const rb = w.replicate('b', ['a']);
  await runUntil(w.clock, EPOCH + 50);
  const stopped = rb.stop();
  await w.regions.get('a')!.write('k', {});
  await runUntil(w.clock, EPOCH + 500);
  await stopped;
  assert.equal(await w.regions.get('b')!.store.get('c', 'k'), undefined);
  assert.equal(w.transport.openStreams(), 0);
});

test('upstream must not name the region itself or a peer twice', () => {
  const w = world(['a', 'b']);
  const make = (upstream: string[]) => () =>
    createReplicator({
      region: 'a',
      store: w.regions.get('a')!.store,
      transport: w.transport,
      upstream,
      regionClock: w.regions.get('a')!.regionClock,
      clock: w.clock,
      random: () => 0,
    });
  assert.throws(make(['a']), /cannot pull from itself/);
  assert.throws(make(['b', 'b']), /listed twice/);
  assert.throws(
    () =>
      createReplicator({
        region: 'a',
        store: w.regions.get('a')!.store,
        transport: w.transport,
        upstream: ['b'],
        regionClock: w.regions.get('a')!.regionClock,
        clock: w.clock,
        random: () => 0,
        tuning: { idleTimeoutMs: 0 },
      }),
    /replication.replicator.idleTimeoutMs must be a number >= 1, got 0/,
  );
});
