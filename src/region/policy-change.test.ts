// Changing a collection's conflict policy on an existing store: documents written under the old policy
// are read under the new one by the documented rule, and the next write moves them to its format.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { resolveConfig } from '../config/resolve-config.ts';
import type { MeridianConfigInput } from '../config/schema.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import { mergePolicyFor } from './conflict-policies.ts';
import { createRegionNode } from './region-node.ts';

const dir = mkdtempSync(join(tmpdir(), 'meridian-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a one-region node over the same database with `conflict`, for the duration of `use`. */
async function withPolicy(
  conflict: NonNullable<MeridianConfigInput['collections'][string]>['conflict'],
  use: (
    call: (
      method: string,
      path: string,
      body?: unknown,
      headers?: Record<string, string>,
    ) => Promise<{ status: number; headers: Record<string, unknown>; json: unknown }>,
  ) => Promise<void>,
): Promise<void> {
  const config = resolveConfig({
    regions: [{ name: 'us-east-1', url: 'http://127.0.0.1:1' }],
    collections: { notes: { conflict } },
  });
  const store = createSqliteStore({ path: join(dir, 'region.db'), merge: mergePolicyFor(config) });
  const node = await createRegionNode({
    config,
    region: 'us-east-1',
    store,
    logger: pino({ level: 'silent' }),
    listen: { host: '127.0.0.1', port: 0 },
  });
  const base = await node.start();
  try {
    await use(async (method, path, body, headers = {}) => {
      const res = await request(`${base}/v1/collections/notes/docs/${path}`, {
        method: method as 'GET',
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      });
      const text = await res.body.text();
      return {
        status: res.statusCode,
        headers: res.headers,
        json: text ? (JSON.parse(text) as unknown) : undefined,
      };
    });
  } finally {
    await node.stop();
  }
}

test('lww documents read on as vector and CRDT documents, and the next write takes the new format', async () => {
  await withPolicy('lww', async (call) => {
    assert.equal((await call('PUT', 'a', { text: 'hi' })).status, 200);
    assert.equal((await call('PUT', 'b', { title: 'list', n: 1 })).status, 200);
  });
  await withPolicy('vector', async (call) => {
    // A plain document is one sibling; its context lets the next write replace it.
    const read = await call('GET', 'a');
    assert.equal(read.status, 200);
    assert.deepEqual(read.json, { text: 'hi' });
    const context = read.headers['x-meridian-context'] as string;
    assert.match(context, /^c1\./);
    assert.equal((await call('PUT', 'a', { text: 'hello' }, { 'x-meridian-context': context })).status, 200);
    assert.deepEqual((await call('GET', 'a')).json, { text: 'hello' });
    // A blind write (no context) keeps what it did not see: two siblings.
    assert.equal((await call('PUT', 'a', { text: 'blind' })).status, 200);
    assert.equal((await call('GET', 'a')).status, 300);
  });
  await withPolicy('crdt', async (call) => {
    // A plain document is a map of registers, one per top-level field.
    assert.deepEqual((await call('GET', 'b')).json, { title: 'list', n: 1 });
    const ops = await call('POST', 'b/ops', { ops: [{ op: 'increment', path: ['likes'] }] });
    assert.equal(ops.status, 200, JSON.stringify(ops.json));
    assert.deepEqual((await call('GET', 'b')).json, { title: 'list', n: 1, likes: 1 });
    const put = await call('PUT', 'b', { title: 'x' });
    assert.equal(put.status, 400);
    assert.match(JSON.stringify(put.json), /changes through operations/);
  });
});
