// Placement through the HTTP API of one real node whose peer is down: standby refusals with Retry-After,
// an unreachable owner, a misdirected forward, homes named by a document field.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { request } from 'undici';
import { freePort } from '../client/test-support.ts';
import { resolveConfig } from '../config/resolve-config.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import { createRegionNode, type RegionNode } from './region-node.ts';

let node: RegionNode;
let base: string;

before(async () => {
  const [us, eu] = [await freePort(), await freePort()];
  const config = resolveConfig({
    regions: [
      { name: 'us-east-1', url: `http://127.0.0.1:${us}` },
      // Never started: every request owned there finds nobody listening.
      { name: 'eu-west-1', url: `http://127.0.0.1:${eu}` },
    ],
    replication: { secret: 'placement-test-cluster-secret' },
    collections: {
      orders: { topology: 'active-passive', primary: 'eu-west-1', standby: 'refuse' },
      accounts: { topology: 'single-writer', primary: 'eu-west-1' },
      users: { topology: 'home-region', home: { field: 'home' } },
    },
  });
  node = await createRegionNode({
    config,
    region: 'us-east-1',
    store: createMemoryStore(),
    logger: pino({ level: 'silent' }),
    listen: { host: '127.0.0.1', port: us },
  });
  base = await node.start();
});
after(() => node.stop());

async function call(
  method: 'GET' | 'PUT',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await request(base + path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
  });
  const json = (await res.body.json()) as {
    error?: { code: string; message: string; details?: Record<string, unknown> };
  };
  return { status: res.statusCode, headers: res.headers, json };
}

describe('placement over HTTP', () => {
  it('an active-passive standby configured to refuse answers 503 standby with Retry-After and the active region', async () => {
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', { item: 'tea' }],
    ] as const) {
      const res = await call(method, '/v1/collections/orders/docs/o1', body);
      assert.equal(res.status, 503);
      assert.equal(res.json.error?.code, 'standby');
      assert.equal(res.headers['retry-after'], '1');
      assert.equal(res.json.error?.details?.active, 'eu-west-1');
    }
  });

  it('a write whose owner cannot be reached: 503, nothing written, Retry-After', async () => {
    const res = await call('PUT', '/v1/collections/accounts/docs/a1', { balance: 1 });
    assert.equal(res.status, 503);
    assert.equal(res.json.error?.code, 'region_unavailable');
    assert.match(
      res.json.error.message,
      /eu-west-1, which serves this request, is unreachable from us-east-1 .*nothing was written/,
    );
    assert.ok(res.headers['retry-after']);
    const read = await call('GET', '/v1/collections/accounts/docs/a1');
    assert.equal(read.status, 404);
  });

  it('a forwarded request that reaches a region which does not own it is refused, not forwarded again', async () => {
    const res = await call(
      'PUT',
      '/v1/collections/accounts/docs/a2',
      { balance: 2 },
      { 'x-meridian-forwarded-by': 'eu-west-1' },
    );
    assert.equal(res.status, 421);
    assert.equal(res.json.error?.code, 'misdirected');
  });

  it('a document names its home in a field; a bad or unknown home is a clear 400', async () => {
    const unknown = await call('PUT', '/v1/collections/users/docs/u1', { home: 'mars-1' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.error!.message, /names home region 'mars-1', which is not in the deployment/);
    const missing = await call('PUT', '/v1/collections/users/docs/u2', { name: 'x' });
    assert.equal(missing.status, 400);
    assert.match(
      missing.json.error!.message,
      /has no 'home' field naming its home, and the collection has no home.default/,
    );
    const elsewhere = await call('PUT', '/v1/collections/users/docs/u3', { home: 'eu-west-1' });
    assert.equal(elsewhere.status, 503);
    assert.equal(elsewhere.json.error?.code, 'region_unavailable');
  });
});
