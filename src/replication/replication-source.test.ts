import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runUntil } from '../sim/drive.ts';
import { createVirtualClock } from '../sim/virtual-clock.ts';
import { entryBytes, readBatch } from './batch-reader.ts';
import type { ReplicationBatch } from './replication-port.ts';
import { collect, EPOCH, testRegion } from './test-support.ts';

const positions = (batch: ReplicationBatch | undefined) => batch?.entries.map((e) => e.position);

async function serving(
  options: { maxBatchEntries?: number; maxBatchBytes?: number; lingerMs?: number } = {},
) {
  const clock = createVirtualClock(EPOCH);
  const region = testRegion('us-east-1', clock, {
    tuning: { maxBatchEntries: 3, maxBatchBytes: 1e6, lingerMs: 0, heartbeatMs: 1000, ...options },
  });
  return { clock, region };
}

test('streams the backlog at once in full batches, then greets nothing more until the log grows', async () => {
  const { clock, region } = await serving();
  for (let i = 0; i < 7; i++) await region.write(`k${i}`, { i });
  const stop = new AbortController();
  const got = collect(region.source.serve({ region: 'eu-west-1', applied: {} }, stop.signal));
  await runUntil(clock, EPOCH);
  assert.deepEqual(got.items.map(positions), [[1, 2, 3], [4, 5, 6], [7]]);
  assert.deepEqual(
    got.items.map((b) => [b.from, b.senderHead]),
    [
      ['us-east-1', 7],
      ['us-east-1', 7],
      ['us-east-1', 7],
    ],
  );
  await region.write('k7', {});
  await runUntil(clock, EPOCH + 1);
  assert.deepEqual(positions(got.items.at(-1)), [8]);
  stop.abort();
  await got.done;
  assert.equal(got.error, undefined);
});

test('starts after what the puller has and skips entries it has from other peers', async () => {
  const { clock, region } = await serving({ maxBatchEntries: 10 });
  await region.write('a', {}); // us-east-1#1 at 1
  await region.store.applyRemote({
    collection: 'c',
    key: 'b',
    value: {},
    version: region.regionClock.tick().replace('us-east-1', 'sa-east-1'),
    origin: 'sa-east-1',
    originSeq: 1,
  }); // 2
  await region.write('c', {}); // us-east-1#2 at 3
  await region.write('d', {}); // us-east-1#3 at 4
  const stop = new AbortController();
  const got = collect(
    region.source.serve({ region: 'eu-west-1', applied: { 'us-east-1': 1, 'sa-east-1': 1 } }, stop.signal),
  );
  await runUntil(clock, EPOCH);
  assert.deepEqual(got.items.map(positions), [[3, 4]]);
  const skipAll = collect(
    region.source.serve({ region: 'eu-west-1', applied: { 'us-east-1': 3, 'sa-east-1': 1 } }, stop.signal),
  );
  await runUntil(clock, EPOCH);
  // Nothing to send: the greeting is an empty batch telling the puller where the log ends.
  assert.deepEqual(skipAll.items, [
    { from: 'us-east-1', n: 1, entries: [], senderHead: 4, applied: { 'us-east-1': 3, 'sa-east-1': 1 } },
  ]);
  stop.abort();
  await Promise.all([got.done, skipAll.done]);
});

test('a stream that sent nothing for heartbeatMs sends an empty batch', async () => {
  const { clock, region } = await serving();
  const stop = new AbortController();
  const got = collect(region.source.serve({ region: 'eu-west-1', applied: {} }, stop.signal));
  await runUntil(clock, EPOCH + 3500);
  assert.equal(got.items.length, 4); // greeting + 3 heartbeats
  assert.ok(got.items.every((b) => b.entries.length === 0));
  // Data counts as a sign of life: the next heartbeat is due heartbeatMs after it.
  clock.advanceTo(EPOCH + 3700);
  await region.write('k', {});
  await runUntil(clock, EPOCH + 4500);
  assert.deepEqual(got.items.slice(4).map(positions), [[1]]);
  await runUntil(clock, EPOCH + 4700);
  assert.deepEqual(got.items.slice(4).map(positions), [[1], []]);
  stop.abort();
  await got.done;
});

test('once caught up, lingers so that appends made close together travel in one batch', async () => {
  const { clock, region } = await serving({ maxBatchEntries: 100, lingerMs: 20 });
  const stop = new AbortController();
  const got = collect(region.source.serve({ region: 'eu-west-1', applied: {} }, stop.signal));
  await runUntil(clock, EPOCH + 10);
  await region.write('a', {});
  await runUntil(clock, EPOCH + 15);
  await region.write('b', {});
  await runUntil(clock, EPOCH + 25);
  assert.equal(got.items.length, 1, 'still lingering');
  await region.write('c', {});
  await runUntil(clock, EPOCH + 40);
  assert.deepEqual(got.items.map(positions), [[], [1, 2, 3]]);
  // A backlog of more than a batch never lingers: full batches go out back to back.
  for (let i = 0; i < 250; i++) await region.write(`bulk${i}`, {});
  await runUntil(clock, EPOCH + 60);
  assert.deepEqual(
    got.items.slice(2).map((b) => b.entries.length),
    [100, 100, 50],
  );
  stop.abort();
  await got.done;
});

test('a batch stops at maxBatchBytes, but a single larger entry still goes alone', async () => {
  const { clock, region } = await serving({ maxBatchEntries: 100, maxBatchBytes: 300 });
  await region.write('small1', { s: 'x' });
  await region.write('big', { s: 'x'.repeat(1000) });
  await region.write('small2', { s: 'x' });
  await region.write('small3', { s: 'x' });
  const stop = new AbortController();
  const got = collect(region.source.serve({ region: 'eu-west-1', applied: {} }, stop.signal));
  await runUntil(clock, EPOCH);
  assert.deepEqual(got.items.map(positions), [[1], [2], [3, 4]]);
  stop.abort();
  await got.done;
});

test('readBatch reads past long runs of skipped entries', async () => {
  const { region } = await serving();
  for (let i = 0; i < 10; i++) await region.write(`k${i}`, {});
  const cut = await readBatch(region.store, 0, new Map([['us-east-1', 8]]), {
    maxBatchEntries: 3,
    maxBatchBytes: 1e6,
  });
  assert.deepEqual(
    cut.entries.map((e) => e.originSeq),
    [9, 10],
  );
  assert.equal(cut.after, 10);
  const [entry] = await region.store.readLog(0, 1);
  assert.ok(entryBytes(entry!) > 40);
});

test('a malformed request fails the stream with bad_request', async () => {
  const { clock, region } = await serving();
  const stop = new AbortController();
  const bad = collect(
    region.source.serve({ region: 'eu-west-1', applied: { 'us-east-1': -1 } }, stop.signal),
  );
  const noRegion = collect(region.source.serve({ region: '', applied: {} }, stop.signal));
  await runUntil(clock, EPOCH);
  await Promise.all([bad.done, noRegion.done]);
  assert.match(String(bad.error), /applied\["us-east-1"\] must be a whole number >= 0, got -1/);
  assert.match(String(noRegion.error), /region must be a region name/);
});
