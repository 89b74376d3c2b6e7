// Tests for one emulated link over real loopback sockets: delay, order, partitions, bandwidth, back-pressure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { createWanLink } from './wan-link.ts';
import type { WanLink, WanLinkOptions } from './wan-link.ts';
import {
  createReader,
  dial,
  dialFailure,
  echo,
  expectSilence,
  seededRandom,
  startTcpServer,
  write,
} from './wan-test-support.ts';
import type { TestServer } from './wan-test-support.ts';

type LinkSettings = Omit<WanLinkOptions, 'from' | 'to' | 'target' | 'random'> & { random?: () => number };

/** Runs `body` against a started link to a server built from `onSocket`, then closes both. */
async function withLink(
  settings: LinkSettings,
  onSocket: (socket: Socket) => void,
  body: (link: WanLink, port: number) => Promise<void>,
): Promise<void> {
  const server: TestServer = await startTcpServer(onSocket);
  const link = createWanLink({
    from: 'us-east-1',
    to: 'eu-west-1',
    target: { host: '127.0.0.1', port: server.port },
    random: seededRandom(1),
    ...settings,
  });
  await link.start();
  try {
    await body(link, link.info().port);
  } finally {
    await link.close();
    await server.close();
  }
}

async function roundTripMs(socket: Socket, reader: ReturnType<typeof createReader>): Promise<number> {
  const started = performance.now();
  await write(socket, 'x');
  await reader.read(1);
  return performance.now() - started;
}

/**
 * Timing checks: every sample must reach the lower bound (the link must never be early); the best sample
 * must be under the upper bound (a busy machine only ever adds delay, so one quick sample suffices).
 */
function assertTimings(label: string, samples: number[], min: number, max: number): void {
  const shown = samples.map((ms) => ms.toFixed(1)).join(', ');
  assert.ok(
    samples.every((ms) => ms >= min),
    `${label}: [${shown}] ms, each should be >= ${min}`,
  );
  assert.ok(Math.min(...samples) < max, `${label}: [${shown}] ms, the best should be < ${max}`);
}

test('an echo through a 140 ms link takes one RTT', async () => {
  await withLink({ rttMs: 140 }, echo, async (_link, port) => {
    const socket = await dial(port);
    const reader = createReader(socket);
    const samples: number[] = [];
    for (let i = 0; i < 4; i++) samples.push(await roundTripMs(socket, reader));
    assertTimings('round trip through a 140 ms link', samples, 140, 180);
    socket.destroy();
  });
});

test('each direction is delayed by half the RTT', async () => {
  let arrived: (at: number) => void = () => undefined;
  const reply = (socket: Socket): void => {
    socket.on('data', () => {
      arrived(performance.now());
      socket.write('y');
    });
  };
  await withLink({ rttMs: 100 }, reply, async (_link, port) => {
    const socket = await dial(port);
    const reader = createReader(socket);
    const forward: number[] = [];
    const backward: number[] = [];
    for (let i = 0; i < 4; i++) {
      const arrivedAt = new Promise<number>((resolve) => (arrived = resolve));
      const sentAt = performance.now();
      await write(socket, 'x');
      await reader.read(1);
      const repliedAt = await arrivedAt;
      forward.push(repliedAt - sentAt);
      backward.push(performance.now() - repliedAt);
    }
    assertTimings('dialler to target', forward, 50, 90);
    assertTimings('target to dialler', backward, 50, 90);
    socket.destroy();
  });
});

test('setLatency applies to bytes sent after it', async () => {
  await withLink({ rttMs: 200 }, echo, async (link, port) => {
    const socket = await dial(port);
    const reader = createReader(socket);
    link.setLatency(20);
    const samples: number[] = [];
    for (let i = 0; i < 3; i++) samples.push(await roundTripMs(socket, reader));
    assertTimings('round trip after setLatency(20)', samples, 20, 60);
    assert.equal(link.info().rttMs, 20);
    socket.destroy();
  });
});

test('bytes keep their order under heavy jitter', async () => {
  await withLink({ rttMs: 2, jitterMs: 30, random: seededRandom(42) }, echo, async (_link, port) => {
    const socket = await dial(port);
    const reader = createReader(socket);
    const count = 500;
    const sent = Buffer.alloc(count * 4);
    for (let i = 0; i < count; i++) {
      sent.writeUInt32BE(i, i * 4);
      await write(socket, sent.subarray(i * 4, i * 4 + 4));
    }
    const received = await reader.read(sent.length);
    assert.ok(received.equals(sent), 'echoed bytes differ from the bytes sent');
    socket.destroy();
  });
});

test('a cut link resets new connections fast and stalls open ones until healed, losing nothing', async () => {
  await withLink({ rttMs: 100 }, echo, async (link, port) => {
    const socket = await dial(port);
    const reader = createReader(socket);
    await roundTripMs(socket, reader);
    await write(socket, 'in-flight;'); // still on the wire when the cut happens
    link.cut();
    assert.equal(link.info().cut, true);

    const refusedAt = performance.now();
    const err = await dialFailure(port);
    const refusedMs = performance.now() - refusedAt;
    assert.equal(err.code, 'ECONNRESET');
    assert.ok(refusedMs < 100, `new connection failed after ${refusedMs.toFixed(1)} ms`);
    assert.equal(link.info().stats.connectionsRefused, 1);

    await write(socket, 'during-cut;');
    await expectSilence(socket, 300);
    assert.equal(link.info().stats.connectionsOpen, 1);
    assert.ok(link.info().stats.bytesQueued > 0, 'the cut link should hold the bytes');

    link.heal();
    const expected = 'in-flight;during-cut;';
    assert.equal((await reader.read(expected.length)).toString(), expected);
    assert.equal((await roundTripMs(socket, reader)) < 200, true);
    socket.destroy();
  });
});

test('setLatency below the fibre floor throws, naming the pair, the value and the floor', async () => {
  await withLink({ rttMs: 70, floorRttMs: 54.61 }, echo, async (link) => {
    assert.throws(
      () => link.setLatency(40),
      /us-east-1->eu-west-1: rttMs 40 is below the fibre floor of 54.61 ms/,
    );
    assert.throws(() => link.setLatency(-1), /rttMs must be a finite number of ms >= 0, got -1/);
    assert.equal(link.info().rttMs, 70);
    link.setLatency(54.61);
    assert.equal(link.info().rttMs, 54.61);
  });
  assert.throws(
    () =>
      createWanLink({
        from: 'a',
        to: 'b',
        target: { host: '127.0.0.1', port: 1 },
        rttMs: 1,
        floorRttMs: 5,
        random: Math.random,
      }),
    /link a->b: rttMs 1 is below the fibre floor of 5 ms/,
  );
});

test('setJitter and setBandwidth check their values and show in info()', async () => {
  await withLink({ rttMs: 10 }, echo, async (link) => {
    link.setJitter(5);
    link.setBandwidth(1_000_000);
    assert.deepEqual([link.info().jitterMs, link.info().bandwidthBytesPerSec], [5, 1_000_000]);
    link.setBandwidth(undefined);
    assert.equal(link.info().bandwidthBytesPerSec, undefined);
    assert.throws(() => link.setJitter(-3), /link us-east-1->eu-west-1: jitterMs must be .* >= 0, got -3/);
    assert.throws(() => link.setBandwidth(0), /bandwidthBytesPerSec must be a finite number > 0, got 0/);
    assert.equal(link.info().jitterMs, 5);
  });
});

test('a bandwidth limit slows a 1 MiB transfer to about size / rate', async () => {
  const size = 1024 * 1024;
  const rate = 4 * 1024 * 1024; // bytes per second: 250 ms for 1 MiB
  let receivedAll: (() => void) | undefined;
  const done = new Promise<void>((resolve) => (receivedAll = resolve));
  const sink = (socket: Socket): void => {
    let total = 0;
    socket.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total >= size) receivedAll?.();
    });
  };
  await withLink({ rttMs: 0, bandwidthBytesPerSec: rate }, sink, async (link, port) => {
    const socket = await dial(port);
    const started = performance.now();
    socket.write(Buffer.alloc(size, 7));
    await done;
    const elapsed = performance.now() - started;
    assert.ok(
      elapsed >= 250 && elapsed < 450,
      `1 MiB at 4 MiB/s took ${elapsed.toFixed(1)} ms, expected 250..450`,
    );
    assert.equal(link.info().stats.bytesForward, size);
    socket.destroy();
  });
});

test('a full queue pauses the sender, and nothing is lost when it drains', async () => {
  const size = 8 * 1024 * 1024;
  const highWater = 64 * 1024;
  await withLink({ rttMs: 0, queueHighWaterBytes: highWater }, echo, async (link, port) => {
    const socket = await dial(port);
    const reader = createReader(socket);
    link.cut();
    const sent = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4) sent.writeUInt32BE(i, i);
    socket.write(sent);
    await expectSilence(socket, 300);
    const queued = link.info().stats.bytesQueued;
    assert.ok(
      queued > 0 && queued <= highWater + 64 * 1024,
      `queued ${queued} bytes with a ${highWater} high-water mark`,
    );
    link.heal();
    assert.ok((await reader.read(size)).equals(sent));
    socket.destroy();
  });
});

test('a half-close travels through the link after the bytes before it', async () => {
  await withLink({ rttMs: 20 }, echo, async (link, port) => {
    const socket = await dial(port);
    const reader = createReader(socket);
    socket.end('last words');
    assert.equal((await reader.readToEnd()).toString(), 'last words');
    await once(socket, 'close');
    assert.equal(link.info().stats.bytesBackward, 'last words'.length);
  });
});

test('a reset or an unreachable target reaches the dialler as a reset', async () => {
  const resetOnData = (socket: Socket): void => {
    socket.once('data', () => socket.resetAndDestroy());
  };
  await withLink({ rttMs: 10 }, resetOnData, async (_link, port) => {
    const socket = await dial(port);
    socket.write('boom');
    const [err] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
  });
  const gone = await startTcpServer(echo);
  await gone.close();
  const link = createWanLink({
    from: 'a',
    to: 'b',
    target: { host: '127.0.0.1', port: gone.port },
    rttMs: 10,
    random: Math.random,
  });
  await link.start();
  assert.equal((await dialFailure(link.info().port)).code, 'ECONNRESET');
  await link.close();
});

test('close() ends open connections and stats count the bytes each way', async () => {
  const server = await startTcpServer(echo);
  const link = createWanLink({
    from: 'a',
    to: 'b',
    target: { host: '127.0.0.1', port: server.port },
    rttMs: 4,
    random: Math.random,
  });
  assert.throws(() => link.url(), /link a->b is not listening; call start\(\) first/);
  await link.start();
  assert.match(link.url(), /^http:\/\/127\.0\.0\.1:\d+$/);
  const socket = await dial(link.info().port);
  const reader = createReader(socket);
  await write(socket, 'hello');
  await reader.read(5);
  const { stats } = link.info();
  assert.equal(stats.connectionsOpen, 1);
  assert.equal(stats.connectionsAccepted, 1);
  assert.equal(stats.bytesForward, 5);
  assert.equal(stats.bytesBackward, 5);
  const closed = once(socket, 'close');
  await link.close();
  await closed;
  assert.equal(link.info().stats.connectionsOpen, 0);
  await link.close(); // idempotent
  await server.close();
});
