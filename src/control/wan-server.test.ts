// Tests for the control API: reads, partitions, latency changes, and 400 JSON errors that name the bad value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GeoPoint } from '../core/geo.ts';
import { createLatencyMatrix } from '../core/latency-matrix.ts';
import { createWanEmulator } from './wan-emulator.ts';
import type { WanEmulator } from './wan-emulator.ts';
import { startWanServer } from './wan-server.ts';
import { dialFailure, echo, seededRandom, startTcpServer } from './wan-test-support.ts';

// a and b sit at Ashburn and Dublin, so a<->b has a fibre floor of about 54.61 ms.
const locations = new Map<string, GeoPoint>([
  ['a', { lat: 39.0438, lon: -77.4874 }],
  ['b', { lat: 53.3498, lon: -6.2603 }],
]);
const matrix = createLatencyMatrix({ rtt: { a: { b: 70, c: 10 }, b: { c: 10 } }, locations });

interface Api {
  emulator: WanEmulator;
  call: (
    method: string,
    path: string,
    body?: unknown,
  ) => Promise<{ status: number; json: Record<string, unknown> }>;
}

async function withApi(body: (api: Api) => Promise<void>): Promise<void> {
  const regions = await Promise.all(['a', 'b', 'c'].map(() => startTcpServer(echo)));
  const emulator = createWanEmulator({
    regions: ['a', 'b', 'c'].map((name, i) => ({ name, host: '127.0.0.1', port: regions[i]!.port })),
    matrix,
    random: seededRandom(3),
  });
  await emulator.start();
  const server = await startWanServer(emulator);
  const call: Api['call'] = async (method, path, payload) => {
    const init: RequestInit = { method };
    if (payload !== undefined) init.body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const response = await fetch(server.url + path, init);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  try {
    await body({ emulator, call });
  } finally {
    await server.close();
    await emulator.close();
    await Promise.all(regions.map((region) => region.close()));
  }
}

interface LinkJson {
  from: string;
  to: string;
  port: number;
  rttMs: number;
  cut: boolean;
  bandwidthBytesPerSec: number | null;
}

const linksOf = (json: Record<string, unknown>): LinkJson[] => json['links'] as LinkJson[];

function assertError(
  result: { status: number; json: Record<string, unknown> },
  status: number,
  code: string,
  message: RegExp,
): void {
  assert.equal(result.status, status, JSON.stringify(result.json));
  const error = result.json['error'] as { code: string; message: string };
  assert.equal(error.code, code);
  assert.match(error.message, message);
}

test('GET /healthz and GET /links answer with JSON', async () => {
  await withApi(async ({ call }) => {
    assert.deepEqual(await call('GET', '/healthz'), { status: 200, json: { ok: true } });
    const { status, json } = await call('GET', '/links');
    assert.equal(status, 200);
    const links = linksOf(json);
    assert.equal(links.length, 6);
    const { from, to, port, rttMs, cut, bandwidthBytesPerSec } = links[0]!;
    assert.deepEqual(
      { from, to, rttMs, cut, bandwidthBytesPerSec },
      {
        from: 'a',
        to: 'b',
        rttMs: 70,
        cut: false,
        bandwidthBytesPerSec: null,
      },
    );
    assert.ok(port > 0);
  });
});

test('POST /partition cuts both directions, POST /heal restores them', async () => {
  await withApi(async ({ call }) => {
    const partitioned = await call('POST', '/partition', { a: 'a', b: 'b' });
    assert.equal(partitioned.status, 200);
    const cut = linksOf(partitioned.json).filter((l) => l.cut);
    assert.deepEqual(
      cut.map((l) => `${l.from}->${l.to}`),
      ['a->b', 'b->a'],
    );
    assert.equal((await dialFailure(cut[0]!.port)).code, 'ECONNRESET');
    const healed = await call('POST', '/heal', {});
    assert.equal(healed.status, 200);
    assert.ok(linksOf(healed.json).every((l) => !l.cut));
    await call('POST', '/partition', { a: 'b', b: 'c' });
    assert.equal((await call('POST', '/heal', { a: 'c', b: 'b' })).status, 200);
    assert.equal((await call('POST', '/heal')).status, 200);
  });
});

test('POST /latency sets both directions', async () => {
  await withApi(async ({ call }) => {
    const { status, json } = await call('POST', '/latency', { a: 'c', b: 'a', rttMs: 25 });
    assert.equal(status, 200);
    const changed = linksOf(json).filter((l) => l.rttMs === 25);
    assert.deepEqual(
      changed.map((l) => `${l.from}->${l.to}`),
      ['a->c', 'c->a'],
    );
  });
});

test('bad input gets 400 with a JSON error naming the bad value', async () => {
  await withApi(async ({ call }) => {
    assertError(
      await call('POST', '/partition', { a: 'a', b: 'zz' }),
      400,
      'bad_request',
      /"zz"; known regions: a, b, c/,
    );
    assertError(
      await call('POST', '/partition', { a: 'a' }),
      400,
      'bad_request',
      /b must be a region name, got nothing/,
    );
    assertError(
      await call('POST', '/partition', { a: 'a', b: 7 }),
      400,
      'bad_request',
      /b must be a region name, got 7/,
    );
    assertError(
      await call('POST', '/partition', { a: 'a', b: 'b', c: 1 }),
      400,
      'bad_request',
      /unknown field "c"; allowed: a, b/,
    );
    assertError(
      await call('POST', '/latency', { a: 'a', b: 'b', rttMs: 'fast' }),
      400,
      'bad_request',
      /rttMs .* got "fast"/,
    );
    assertError(await call('POST', '/latency', { a: 'a', b: 'b', rttMs: -5 }), 400, 'bad_request', /got -5/);
    assertError(
      await call('POST', '/latency', { a: 'a', b: 'b', rttMs: 30 }),
      400,
      'bad_request',
      /link a->b: rttMs 30 is below the fibre floor of 54.62? ms/,
    );
    assertError(await call('POST', '/heal', { b: 'a' }), 400, 'bad_request', /heal got b="a" without a/);
    assertError(await call('POST', '/partition', '{"a":'), 400, 'invalid_json', /not valid JSON/);
    assertError(await call('POST', '/partition', '[1]'), 400, 'bad_request', /JSON object, got \[1\]/);
  });
});

test('unknown routes get 404 and wrong methods 405, with the routes listed', async () => {
  await withApi(async ({ call }) => {
    assertError(await call('GET', '/nope'), 404, 'not_found', /no route GET \/nope; routes: GET \/healthz/);
    assertError(
      await call('GET', '/partition'),
      405,
      'bad_request',
      /GET \/partition is not supported; use POST/,
    );
  });
});
