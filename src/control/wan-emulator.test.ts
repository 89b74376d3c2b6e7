// Tests for the emulator: N regions wired pairwise, partitions and latency on both directions, bad names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createLatencyMatrix } from '../core/latency-matrix.ts';
import { createWanEmulator } from './wan-emulator.ts';
import type { WanEmulator, WanEmulatorOptions } from './wan-emulator.ts';
import { loadLatencyMatrix } from './wan-data.ts';
import {
  createReader,
  dial,
  dialFailure,
  echo,
  seededRandom,
  startTcpServer,
  write,
} from './wan-test-support.ts';
import type { TestServer } from './wan-test-support.ts';

const smallMatrix = createLatencyMatrix({ rtt: { a: { b: 10, c: 20 }, b: { c: 30 } }, locations: new Map() });

/** Three echo regions a, b, c behind a started emulator; closes everything after `body`. */
async function withEmulator(
  overrides: Partial<WanEmulatorOptions>,
  body: (emulator: WanEmulator) => Promise<void>,
): Promise<void> {
  const servers: TestServer[] = await Promise.all(['a', 'b', 'c'].map(() => startTcpServer(echo)));
  const emulator = createWanEmulator({
    regions: ['a', 'b', 'c'].map((name, i) => ({ name, host: '127.0.0.1', port: servers[i]!.port })),
    matrix: smallMatrix,
    random: seededRandom(7),
    ...overrides,
  });
  await emulator.start();
  try {
    await body(emulator);
  } finally {
    await emulator.close();
    await Promise.all(servers.map((server) => server.close()));
  }
}

function portOf(emulator: WanEmulator, from: string, to: string): number {
  return Number(new URL(emulator.linkUrl(from, to)).port);
}

async function echoes(port: number): Promise<void> {
  const socket = await dial(port);
  await write(socket, 'ping');
  assert.equal((await createReader(socket).read(4)).toString(), 'ping');
  socket.destroy();
}

test('N regions get one link per directed pair, each forwarding HTTP to its target region', async () => {
  const names = ['a', 'b', 'c'];
  const servers = names.map((name) => createServer((_req, res) => res.end(name)).listen(0, '127.0.0.1'));
  await Promise.all(servers.map((server) => once(server, 'listening')));
  const emulator = createWanEmulator({
    regions: names.map((name, i) => ({
      name,
      host: '127.0.0.1',
      port: (servers[i]!.address() as AddressInfo).port,
    })),
    matrix: smallMatrix,
    random: seededRandom(1),
  });
  await emulator.start();
  try {
    const links = emulator.links();
    assert.equal(links.length, 6);
    assert.equal(new Set(links.map((link) => link.port)).size, 6);
    for (const from of names) {
      for (const to of names) {
        if (from === to) continue;
        assert.match(emulator.linkUrl(from, to), /^http:\/\/127\.0\.0\.1:\d+$/);
        const response = await fetch(emulator.linkUrl(from, to), { headers: { connection: 'close' } });
        assert.equal(await response.text(), to, `${from}->${to} should reach ${to}`);
      }
    }
    const ab = links.find((link) => link.from === 'a' && link.to === 'b');
    const ba = links.find((link) => link.from === 'b' && link.to === 'a');
    assert.equal(ab?.rttMs, 10);
    assert.equal(ba?.rttMs, 10);
    const after = emulator.links();
    assert.ok(after.every((link) => link.stats.connectionsAccepted === 1 && link.stats.bytesBackward > 0));
  } finally {
    await emulator.close();
    for (const server of servers) server.close();
  }
});

test('partition cuts both directions of one pair only, and heal restores them', async () => {
  await withEmulator({}, async (emulator) => {
    emulator.partition('a', 'b');
    assert.equal((await dialFailure(portOf(emulator, 'a', 'b'))).code, 'ECONNRESET');
    assert.equal((await dialFailure(portOf(emulator, 'b', 'a'))).code, 'ECONNRESET');
    await echoes(portOf(emulator, 'a', 'c'));
    await echoes(portOf(emulator, 'c', 'b'));
    emulator.heal('b', 'a');
    await echoes(portOf(emulator, 'a', 'b'));
    await echoes(portOf(emulator, 'b', 'a'));
  });
});

test('heal(a) heals every link touching a, heal() heals all', async () => {
  await withEmulator({}, async (emulator) => {
    emulator.partition('a', 'b');
    emulator.partition('b', 'c');
    emulator.heal('a');
    const cut = (): string[] =>
      emulator
        .links()
        .filter((l) => l.cut)
        .map((l) => `${l.from}->${l.to}`);
    assert.deepEqual(cut(), ['b->c', 'c->b']);
    emulator.heal();
    assert.deepEqual(cut(), []);
  });
});

test('setLatency changes both directions; unmeasured pairs use defaultRttMs', async () => {
  await withEmulator({ defaultRttMs: 42 }, async (emulator) => {
    const rtt = (from: string, to: string): number | undefined =>
      emulator.links().find((l) => l.from === from && l.to === to)?.rttMs;
    assert.equal(rtt('b', 'c'), 30);
    emulator.setLatency('c', 'b', 12);
    assert.equal(rtt('b', 'c'), 12);
    assert.equal(rtt('c', 'b'), 12);
    const unmeasured = createWanEmulator({
      regions: [
        { name: 'a', host: '127.0.0.1', port: 1 },
        { name: 'local-x', host: '127.0.0.1', port: 2 },
      ],
      matrix: smallMatrix,
      defaultRttMs: 42,
      random: Math.random,
    });
    assert.deepEqual(
      unmeasured.links().map((l) => l.rttMs),
      [42, 42],
    );
  });
});

test('the real matrix sets measured RTTs and refuses latency below the fibre floor, both ways unchanged', async () => {
  const matrix = await loadLatencyMatrix();
  const emulator = createWanEmulator({
    regions: [
      { name: 'us-east-1', host: '127.0.0.1', port: 4001 },
      { name: 'eu-west-1', host: '127.0.0.1', port: 4002 },
    ],
    matrix,
    random: Math.random,
  });
  const links = emulator.links();
  assert.deepEqual(
    links.map((l) => l.rttMs),
    [69.601, 69.601],
  );
  assert.ok(links.every((l) => l.floorRttMs > 54.6 && l.floorRttMs < 54.7));
  assert.throws(
    () => emulator.setLatency('eu-west-1', 'us-east-1', 50),
    /link eu-west-1->us-east-1: rttMs 50 is below the fibre floor of 54.62? ms/,
  );
  assert.deepEqual(
    emulator.links().map((l) => l.rttMs),
    [69.601, 69.601],
  );
});

test('unknown or repeated region names fail with the known ones listed', () => {
  const emulator = createWanEmulator({
    regions: [
      { name: 'a', host: '127.0.0.1', port: 1 },
      { name: 'b', host: '127.0.0.1', port: 2 },
    ],
    matrix: smallMatrix,
    random: Math.random,
  });
  assert.throws(() => emulator.partition('a', 'zz'), /unknown region "zz"; known regions: a, b/);
  assert.throws(() => emulator.heal('zz'), /unknown region "zz"; known regions: a, b/);
  assert.throws(() => emulator.setLatency('a', 'a', 10), /both "a"; name two different regions/);
  assert.throws(() => emulator.linkUrl('a', 'b'), /link a->b is not listening; call start\(\) first/);
  assert.throws(
    () =>
      createWanEmulator({
        regions: [
          { name: 'a', host: '127.0.0.1', port: 1 },
          { name: 'a', host: '127.0.0.1', port: 2 },
        ],
        matrix: smallMatrix,
        random: Math.random,
      }),
    /regions\[1\]\.name "a" appears twice/,
  );
});

test('basePort numbers the links in (from, to) order and must leave room for all of them', () => {
  const regions = ['a', 'b', 'c'].map((name, i) => ({ name, host: '127.0.0.1', port: 5000 + i }));
  const emulator = createWanEmulator({ regions, matrix: smallMatrix, basePort: 40100, random: Math.random });
  assert.deepEqual(
    emulator.links().map((l) => `${l.from}->${l.to}:${l.port}`),
    ['a->b:40100', 'a->c:40101', 'b->a:40102', 'b->c:40103', 'c->a:40104', 'c->b:40105'],
  );
  assert.throws(
    () => createWanEmulator({ regions, matrix: smallMatrix, basePort: 65532, random: Math.random }),
    /basePort must be an integer so that basePort\.\.basePort\+5 fits in 1\.\.65535 \(6 links\), got 65532/,
  );
});
