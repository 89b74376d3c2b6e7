// The region node's HTTP API over a real socket, with the memory store: contract, limits, errors.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { request } from 'undici';
import { resolveConfig } from '../config/resolve-config.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import { createRegionNode, type RegionNode } from './region-node.ts';

const config = resolveConfig({
  regions: [{ name: 'us-east-1', url: 'http://127.0.0.1:1' }],
  collections: { profiles: {}, orders: {} },
  limits: { maxKeyBytes: 64, maxDocumentBytes: 2048, maxBodyBytes: 4096 },
});

let node: RegionNode;
let base: string;

before(async () => {
  node = await createRegionNode({
    config,
    region: 'us-east-1',
    store: createMemoryStore(),
    logger: pino({ level: 'silent' }),
    listen: { host: '127.0.0.1', port: 0 },
  });
  base = await node.start();
});
after(() => node.stop());

async function call(
  method: 'GET' | 'PUT' | 'DELETE',
  path: string,
  body?: string,
  headers: Record<string, string> = {},
) {
  const res = await request(base + path, {
    method,
    body,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
  });
  const text = await res.body.text();
  const json =
    text && res.headers['content-type']?.toString().includes('json') ? (JSON.parse(text) as unknown) : text;
  return { status: res.statusCode, headers: res.headers, json };
}

function errorCode(json: unknown): string {
  return (json as { error: { code: string } }).error.code;
}

describe('documents', () => {
  it('PUT then GET returns the document with etag and region', async () => {
    const put = await call('PUT', '/v1/collections/profiles/docs/alice', '{"name":"Alice","age":30}');
    assert.equal(put.status, 200);
    const { key, version, region } = put.json as { key: string; version: string; region: string };
    assert.equal(key, 'alice');
    assert.equal(region, 'us-east-1');
    assert.match(version, /^[0-9a-f]{16}@us-east-1$/);
    const get = await call('GET', '/v1/collections/profiles/docs/alice');
    assert.equal(get.status, 200);
    assert.deepEqual(get.json, { name: 'Alice', age: 30 });
    assert.equal(get.headers['etag'], `"${version}"`);
    assert.equal(get.headers['x-meridian-region'], 'us-east-1');
  });

  it('versions increase with every write', async () => {
    const a = (await call('PUT', '/v1/collections/profiles/docs/v', '{"n":1}')).json as { version: string };
    const b = (await call('PUT', '/v1/collections/profiles/docs/v', '{"n":2}')).json as { version: string };
    assert.ok(b.version > a.version, `${b.version} > ${a.version}`);
  });

  it('conditional writes: If-Match and If-None-Match', async () => {
    const created = await call('PUT', '/v1/collections/profiles/docs/cond', '{"n":1}', {
      'if-none-match': '*',
    });
    assert.equal(created.status, 200);
    const again = await call('PUT', '/v1/collections/profiles/docs/cond', '{"n":9}', {
      'if-none-match': '*',
    });
    assert.equal(again.status, 412);
    assert.equal(errorCode(again.json), 'version_mismatch');
    const { version } = created.json as { version: string };
    const stale = await call('PUT', '/v1/collections/profiles/docs/cond', '{"n":9}', {
      'if-match': '"0000000000000000@us-east-1"',
    });
    assert.equal(stale.status, 412);
    assert.match((stale.json as { error: { message: string } }).error.message, /is at version/);
    const ok = await call('PUT', '/v1/collections/profiles/docs/cond', '{"n":2}', {
      'if-match': `"${version}"`,
    });
    assert.equal(ok.status, 200);
    assert.deepEqual((await call('GET', '/v1/collections/profiles/docs/cond')).json, { n: 2 });
  });

  it('DELETE leaves a tombstone: 404 afterwards, and deleting again is 404', async () => {
    await call('PUT', '/v1/collections/profiles/docs/gone', '{"x":1}');
    const del = await call('DELETE', '/v1/collections/profiles/docs/gone');
    assert.equal(del.status, 200);
    assert.equal((del.json as { deleted: boolean }).deleted, true);
    assert.equal((await call('GET', '/v1/collections/profiles/docs/gone')).status, 404);
    const again = await call('DELETE', '/v1/collections/profiles/docs/gone');
    assert.equal(again.status, 404);
    assert.equal(errorCode(again.json), 'not_found');
  });

  it('keys with slashes, spaces and unicode round-trip when percent-encoded', async () => {
    const key = 'users/ünï cødé/1';
    const path = `/v1/collections/profiles/docs/${encodeURIComponent(key)}`;
    assert.equal((await call('PUT', path, '{"k":true}')).status, 200);
    const get = await call('GET', path);
    assert.equal(get.status, 200);
    assert.deepEqual(get.json, { k: true });
  });

  it('lists in key order with prefix and cursor', async () => {
    for (const k of ['list-c', 'list-a', 'list-b', 'list-d', 'other']) {
      await call('PUT', `/v1/collections/orders/docs/${k}`, `{"k":"${k}"}`);
    }
    const first = await call('GET', '/v1/collections/orders/docs?prefix=list-&limit=3');
    assert.equal(first.status, 200);
    const page1 = first.json as { items: Array<{ key: string; value: unknown }>; next: string | null };
    assert.deepEqual(
      page1.items.map((i) => i.key),
      ['list-a', 'list-b', 'list-c'],
    );
    assert.equal(page1.next, 'list-c');
    const page2 = (await call('GET', `/v1/collections/orders/docs?prefix=list-&limit=3&after=${page1.next}`))
      .json as {
      items: Array<{ key: string }>;
      next: string | null;
    };
    assert.deepEqual(
      page2.items.map((i) => i.key),
      ['list-d'],
    );
    assert.equal(page2.next, null);
  });
});

describe('bad input gets a clear error and changes nothing', () => {
  it('invalid JSON', async () => {
    const res = await call('PUT', '/v1/collections/profiles/docs/bad', '{"name": ');
    assert.equal(res.status, 400);
    assert.equal(errorCode(res.json), 'invalid_json');
    assert.equal((await call('GET', '/v1/collections/profiles/docs/bad')).status, 404);
  });

  it('a document that is not an object', async () => {
    for (const body of ['[1,2]', '"text"', '42', 'null']) {
      const res = await call('PUT', '/v1/collections/profiles/docs/notobj', body);
      assert.equal(res.status, 400, body);
      assert.equal(errorCode(res.json), 'invalid_document');
    }
    assert.equal((await call('GET', '/v1/collections/profiles/docs/notobj')).status, 404);
  });

  it('a body over the request limit, and a document over the document limit', async () => {
    const huge = await call(
      'PUT',
      '/v1/collections/profiles/docs/huge',
      JSON.stringify({ s: 'x'.repeat(5000) }),
    );
    assert.equal(huge.status, 413);
    assert.equal(errorCode(huge.json), 'payload_too_large');
    const big = await call(
      'PUT',
      '/v1/collections/profiles/docs/big',
      JSON.stringify({ s: 'x'.repeat(3000) }),
    );
    assert.equal(big.status, 413);
    assert.match((big.json as { error: { message: string } }).error.message, /limits\.maxDocumentBytes/);
    assert.equal((await call('GET', '/v1/collections/profiles/docs/big')).status, 404);
  });

  it('an unknown collection, with a suggestion', async () => {
    const res = await call('PUT', '/v1/collections/profile/docs/a', '{"a":1}');
    assert.equal(res.status, 404);
    assert.equal(errorCode(res.json), 'unknown_collection');
    assert.match((res.json as { error: { message: string } }).error.message, /did you mean 'profiles'/);
  });

  it('a key too long', async () => {
    const res = await call('PUT', `/v1/collections/profiles/docs/${'k'.repeat(65)}`, '{"a":1}');
    assert.equal(res.status, 400);
    assert.equal(errorCode(res.json), 'invalid_key');
    assert.match(
      (res.json as { error: { message: string } }).error.message,
      /65 bytes, over the limit of 64/,
    );
  });

  it('a wrong content type', async () => {
    const res = await call('PUT', '/v1/collections/profiles/docs/ct', 'name=alice', {
      'content-type': 'text/plain',
    });
    assert.equal(res.status, 415);
    assert.equal(errorCode(res.json), 'unsupported_media_type');
  });

  it('bytes are not a document: 415', async () => {
    const res = await call('PUT', '/v1/collections/profiles/docs/bytes', '{"a":1}', {
      'content-type': 'application/octet-stream',
    });
    assert.equal(res.status, 415);
    assert.equal(errorCode(res.json), 'unsupported_media_type');
  });

  it('bad list limits and consistency levels', async () => {
    assert.equal((await call('GET', '/v1/collections/profiles/docs?limit=0')).status, 400);
    assert.equal((await call('GET', '/v1/collections/profiles/docs?limit=abc')).status, 400);
    assert.equal((await call('GET', '/v1/collections/profiles/docs?limit=100000')).status, 400);
    const level = await call('GET', '/v1/collections/profiles/docs/alice?consistency=sometimes');
    assert.equal(level.status, 400);
    assert.match((level.json as { error: { message: string } }).error.message, /"sometimes"/);
    // profiles is active-active: no one region orders its writes, so no linearizable read.
    const strong = await call('GET', '/v1/collections/profiles/docs/alice?consistency=strong');
    assert.equal(strong.status, 400);
    assert.equal(errorCode(strong.json), 'consistency_unavailable');
    const bound = await call('GET', '/v1/collections/profiles/docs/alice?maxStalenessMs=soon');
    assert.equal(bound.status, 400);
    assert.match((bound.json as { error: { message: string } }).error.message, /"soon"/);
  });

  it('an unknown route', async () => {
    const res = await call('GET', '/v2/nothing');
    assert.equal(res.status, 404);
    assert.equal(errorCode(res.json), 'not_found');
  });
});

describe('operations endpoints', () => {
  it('healthz, readyz, cluster and metrics', async () => {
    assert.deepEqual((await call('GET', '/healthz')).json, { status: 'ok', region: 'us-east-1' });
    assert.equal((await call('GET', '/readyz')).status, 200);
    const cluster = (await call('GET', '/v1/cluster')).json as { region: string; peers: unknown[] };
    assert.equal(cluster.region, 'us-east-1');
    assert.deepEqual(cluster.peers, []);
    const metrics = await call('GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(
      String(metrics.json),
      /meridian_http_requests_total\{.*route="\/v1\/collections\/:collection\/docs\/:key"/,
    );
    assert.match(String(metrics.json), /meridian_store_documents\{region="us-east-1"\} \d+/);
  });
});
