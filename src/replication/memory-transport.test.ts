import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMeridianError } from '../core/errors.ts';
import { runUntil } from '../sim/drive.ts';
import { createVirtualClock } from '../sim/virtual-clock.ts';
import type { BatchFate, ConnectFate, MemoryNetwork } from './memory-network.ts';
import { createMemoryTransport } from './memory-transport.ts';
import type { ReplicationBatch } from './replication-port.ts';
import { collect, EPOCH, testRegion } from './test-support.ts';

/** A network that plays back the given fates, then delivers after 10 ms. */
function scripted(connects: ConnectFate[], batches: BatchFate[]): MemoryNetwork {
  return {
    connect: () => connects.shift() ?? { kind: 'connect', delayMs: 10 },
    batch: () => batches.shift() ?? { kind: 'deliver', delayMs: 10 },
  };
}

async function setup(network: MemoryNetwork, writes = 0) {
  const clock = createVirtualClock(EPOCH);
  const peer = testRegion('us-east-1', clock, {
    tuning: { maxBatchEntries: 1, lingerMs: 0, heartbeatMs: 1000 },
  });
  for (let i = 0; i < writes; i++) await peer.write(`k${i}`, { i });
  let up = true;
  const transport = createMemoryTransport({
    clock,
    network,
    sources: (r) => (up && r === peer.name ? peer.source : undefined),
  });
  const stop = new AbortController();
  const open = () => collect(transport.pull(peer.name, { region: 'eu-west-1', applied: {} }, stop.signal));
  return { clock, peer, transport, stop, open, down: () => (up = false) };
}

const seqs = (batches: ReplicationBatch[]) => batches.map((b) => b.entries.map((e) => e.originSeq));

test('a reliable link delivers every batch in order after connect and one-way delays', async () => {
  const { clock, stop, open, transport } = await setup(scripted([{ kind: 'connect', delayMs: 40 }], []), 3);
  const got = open();
  await runUntil(clock, EPOCH + 49);
  assert.deepEqual(got.items, []);
  await runUntil(clock, EPOCH + 50);
  assert.deepEqual(seqs(got.items), [[1], [2], [3]]);
  assert.equal(transport.openStreams(), 1);
  stop.abort();
  await got.done;
  assert.equal(transport.openStreams(), 0);
});

test('a refused connection, or a peer that is down, fails the pull after the delay', async () => {
  const refused = await setup(scripted([{ kind: 'refuse', delayMs: 300 }], []));
  const got = refused.open();
  await runUntil(refused.clock, EPOCH + 299);
  assert.equal(got.error, undefined);
  await runUntil(refused.clock, EPOCH + 300);
  await got.done;
  const error: unknown = got.error;
  assert.ok(isMeridianError(error) && error.code === 'region_unavailable');
  assert.match(String(got.error), /us-east-1 -> eu-west-1: connection refused/);

  const down = await setup(scripted([], []));
  down.down();
  const none = down.open();
  await runUntil(down.clock, EPOCH + 10);
  await none.done;
  assert.match(String(none.error), /connection refused/);
});

test('a hanging connection yields nothing until the puller gives up', async () => {
  const { clock, stop, open } = await setup(scripted([{ kind: 'hang' }], []), 2);
  const got = open();
  await runUntil(clock, EPOCH + 60_000);
  assert.deepEqual(got.items, []);
  stop.abort();
  await got.done;
  assert.equal(got.error, undefined);
});

test('duplicates arrive twice; a reordered batch can overtake earlier ones', async () => {
  const dup = await setup(scripted([], [{ kind: 'duplicate', delayMs: 10, againMs: 30 }]), 2);
  const twice = dup.open();
  await runUntil(dup.clock, EPOCH + 100);
  assert.deepEqual(seqs(twice.items), [[1], [2], [1]]);
  dup.stop.abort();

  const re = await setup(
    scripted(
      [],
      [
        { kind: 'reorder', delayMs: 50 },
        { kind: 'deliver', delayMs: 10 },
        { kind: 'deliver', delayMs: 10 },
      ],
    ),
    3,
  );
  const reordered = re.open();
  await runUntil(re.clock, EPOCH + 100);
  assert.deepEqual(seqs(reordered.items), [[2], [3], [1]]);
  re.stop.abort();
  await Promise.all([twice.done, reordered.done]);
});

test('in-order delivery never lets a faster batch pass a slower one', async () => {
  const { clock, stop, open } = await setup(
    scripted(
      [],
      [
        { kind: 'deliver', delayMs: 80 },
        { kind: 'deliver', delayMs: 5 },
        { kind: 'deliver', delayMs: 5 },
      ],
    ),
    3,
  );
  const got = open();
  await runUntil(clock, EPOCH + 200);
  assert.deepEqual(seqs(got.items), [[1], [2], [3]]);
  stop.abort();
  await got.done;
});

test('a break loses the batch and fails the stream; batches already on the wire still arrive first', async () => {
  const { clock, open, transport } = await setup(
    scripted(
      [],
      [
        { kind: 'deliver', delayMs: 10 },
        { kind: 'break', delayMs: 20 },
      ],
    ),
    3,
  );
  const got = open();
  await runUntil(clock, EPOCH + 100);
  await got.done;
  assert.deepEqual(seqs(got.items), [[1]]);
  assert.match(String(got.error), /connection reset/);
  assert.equal(transport.openStreams(), 0);
});

test('a stall swallows everything from then on, without closing the stream', async () => {
  const { clock, stop, open } = await setup(
    scripted([], [{ kind: 'deliver', delayMs: 10 }, { kind: 'stall' }]),
    3,
  );
  const got = open();
  await runUntil(clock, EPOCH + 10_000);
  assert.deepEqual(seqs(got.items), [[1]]);
  assert.equal(got.error, undefined);
  stop.abort();
  await got.done;
});

test('breakStreams with a second region fails only the streams between the two', async () => {
  const { clock, open, transport } = await setup(scripted([], []), 1);
  const a = open();
  await runUntil(clock, EPOCH + 100);
  transport.breakStreams('us-east-1', 'sa-east-1');
  await runUntil(clock, EPOCH + 101);
  assert.equal(transport.openStreams(), 1);
  transport.breakStreams('eu-west-1', 'us-east-1');
  await runUntil(clock, EPOCH + 102);
  await a.done;
  assert.match(String(a.error), /connection reset/);
});

test('breakStreams fails every stream of a region at once', async () => {
  const { clock, open, transport } = await setup(scripted([], []), 1);
  const a = open();
  const b = open();
  await runUntil(clock, EPOCH + 100);
  assert.equal(transport.openStreams(), 2);
  transport.breakStreams('us-east-1');
  await runUntil(clock, EPOCH + 101);
  await Promise.all([a.done, b.done]);
  assert.match(String(a.error), /connection reset/);
  assert.match(String(b.error), /connection reset/);
  assert.equal(transport.openStreams(), 0);
});
