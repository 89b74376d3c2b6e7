// Conflict resolution end to end: two regions cut apart write the same key, then heal. Last-write-wins
// records the conflict in the ledger, vector collections keep both versions as siblings, CRDT counters
// and add-wins sets merge, an application resolver merges its own way.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeploymentState } from '../../src/control/deployment-state.ts';
import * as Y from 'yjs';
import { request } from 'undici';
import { connectClient } from '../../src/yjs/yjs-test-support.ts';
import { loadEditingTrace, replayIntoYDoc } from '../../bench/lib/editing-trace.ts';
import { CONFLICTS_CONFIG as CONFIG } from './conflicts-config.ts';
import { eventually, freeBasePort, httpJson, runCli, tempDir } from './harness.ts';

const dir = tempDir('conflicts');
let state: DeploymentState;
const url = (region: string) => state.regions.find((r) => r.name === region)!.url;
const doc = (region: string, collection: string, key: string) =>
  `${url(region)}/v1/collections/${collection}/docs/${encodeURIComponent(key)}`;

async function chaos(...args: string[]) {
  const res = await runCli(['chaos', ...args], dir.path);
  assert.equal(res.code, 0, res.stderr);
}

/** Runs `write` while us-east-1 and eu-west-1 cannot reach each other (nor through Tokyo), then heals. */
async function apart(write: () => Promise<void>): Promise<void> {
  await chaos('partition', 'us-east-1', 'eu-west-1');
  await chaos('partition', 'eu-west-1', 'ap-northeast-1');
  try {
    await write();
  } finally {
    await chaos('heal', 'us-east-1', 'eu-west-1');
    await chaos('heal', 'eu-west-1', 'ap-northeast-1');
  }
}

async function ok(
  method: 'PUT' | 'DELETE',
  target: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await httpJson(method, target, body, headers);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res;
}

before(async () => {
  writeFileSync(join(dir.path, 'meridian.config.ts'), CONFIG);
  const res = await runCli(['up', '--detach', '--base-port', String(await freeBasePort())], dir.path);
  assert.equal(res.code, 0, `up failed: ${res.stderr}\n${res.stdout}`);
  state = JSON.parse(readFileSync(join(dir.path, '.meridian', 'state.json'), 'utf8')) as DeploymentState;
});

after(async () => {
  await runCli(['down'], dir.path);
  dir.remove();
});

describe('conflicts after a partition heals', () => {
  it('last-write-wins: one winner everywhere, and one ledger entry holding both versions', async () => {
    await apart(async () => {
      await ok('PUT', doc('us-east-1', 'profiles', 'split'), { from: 'us' });
      await ok('PUT', doc('eu-west-1', 'profiles', 'split'), { from: 'eu' });
    });
    type Ledger = {
      conflicts: { key: string; rule: string; winner: string; versions: { version: string }[] }[];
      next: number;
    };
    for (const region of ['us-east-1', 'eu-west-1']) {
      const ledger = await eventually(`a conflict in ${region}'s ledger`, 15_000, async () => {
        const res = await httpJson('GET', `${url(region)}/v1/conflicts?collection=profiles`);
        const body = res.json as Ledger;
        return body.conflicts.some((c) => c.key === 'split') ? body : undefined;
      });
      const entries = ledger.conflicts.filter((c) => c.key === 'split');
      assert.equal(entries.length, 1, JSON.stringify(entries));
      assert.equal(entries[0]!.rule, 'lww');
      assert.equal(entries[0]!.versions.length, 2);
      assert.equal(entries[0]!.winner, entries[0]!.versions[1]!.version);
      // The cursor resumes after what was read: nothing new.
      const again = (
        await httpJson('GET', `${url(region)}/v1/conflicts?collection=profiles&after=${ledger.next}`)
      ).json as Ledger;
      assert.deepEqual(again.conflicts, []);
    }
    const bad = await httpJson('GET', `${url('us-east-1')}/v1/conflicts?after=soon`);
    assert.equal(bad.status, 400);
  });

  it('vector: both versions come back as siblings (300) with a context; a write with it replaces both', async () => {
    await apart(async () => {
      await ok('PUT', doc('us-east-1', 'carts', 'c1'), { items: ['tea'] });
      await ok('PUT', doc('eu-west-1', 'carts', 'c1'), { items: ['coffee'] });
    });
    const siblings = await eventually('two siblings in Tokyo', 15_000, async () => {
      const res = await httpJson('GET', doc('ap-northeast-1', 'carts', 'c1'));
      return res.status === 300 ? res : undefined;
    });
    const body = siblings.json as { siblings: { value: { items: string[] } }[]; context: string };
    assert.deepEqual(body.siblings.map((s) => s.value.items[0]).sort(), ['coffee', 'tea']);
    assert.equal(siblings.headers['x-meridian-context'], body.context);
    await ok(
      'PUT',
      doc('ap-northeast-1', 'carts', 'c1'),
      { items: ['coffee', 'tea'] },
      { 'x-meridian-context': body.context },
    );
    for (const region of ['us-east-1', 'eu-west-1', 'ap-northeast-1']) {
      await eventually(`one merged cart in ${region}`, 15_000, async () => {
        const res = await httpJson('GET', doc(region, 'carts', 'c1'));
        return res.status === 200 && JSON.stringify(res.json) === '{"items":["coffee","tea"]}'
          ? true
          : undefined;
      });
    }
  });

  it('crdt: a counter incremented 1,000 times in each of three regions reads 3,000 everywhere', async () => {
    const regions = ['us-east-1', 'eu-west-1', 'ap-northeast-1'];
    await Promise.all(
      regions.map(async (region) => {
        for (let i = 0; i < 1000; i += 50) {
          await Promise.all(
            Array.from({ length: 50 }, () =>
              httpJson('POST', `${doc(region, 'stats', 'likes')}/ops`, {
                ops: [{ op: 'increment', path: ['count'] }],
              }).then((res) => assert.equal(res.status, 200, JSON.stringify(res.json))),
            ),
          );
        }
      }),
    );
    for (const region of regions) {
      await eventually(`3000 in ${region}`, 20_000, async () => {
        const res = await httpJson('GET', doc(region, 'stats', 'likes'));
        if ((res.json as { count?: number }).count !== 3000)
          throw new Error(`${region} shows ${JSON.stringify(res.json)} (${res.status})`);
        return true;
      });
    }
  });

  it('crdt: a concurrent add and remove of the same set element keeps it (add-wins)', async () => {
    const target = (region: string) => `${doc(region, 'stats', 'flags')}/ops`;
    await httpJson('POST', target('us-east-1'), { ops: [{ op: 'add', path: ['set'], value: 'x' }] });
    await eventually('x in eu-west-1', 15_000, async () => {
      const res = await httpJson('GET', doc('eu-west-1', 'stats', 'flags'));
      return JSON.stringify(res.json) === '{"set":["x"]}' ? true : undefined;
    });
    await apart(async () => {
      await httpJson('POST', target('us-east-1'), { ops: [{ op: 'remove', path: ['set'], value: 'x' }] });
      await httpJson('POST', target('eu-west-1'), { ops: [{ op: 'add', path: ['set'], value: 'x' }] });
    });
    for (const region of ['us-east-1', 'eu-west-1', 'ap-northeast-1']) {
      await eventually(`x kept in ${region}`, 15_000, async () => {
        const res = await httpJson('GET', doc(region, 'stats', 'flags'));
        return JSON.stringify(res.json) === '{"set":["x"]}' ? true : undefined;
      });
    }
  });

  it('an application resolver merges concurrent versions its own way, and the ledger says so', async () => {
    await apart(async () => {
      await ok('PUT', doc('us-east-1', 'tags', 't1'), { items: ['red'] });
      await ok('PUT', doc('eu-west-1', 'tags', 't1'), { items: ['blue'] });
    });
    for (const region of ['us-east-1', 'eu-west-1', 'ap-northeast-1']) {
      await eventually(`merged tags in ${region}`, 15_000, async () => {
        const res = await httpJson('GET', doc(region, 'tags', 't1'));
        return JSON.stringify(res.json) === '{"items":["blue","red"]}' ? true : undefined;
      });
    }
    const ledger = (await httpJson('GET', `${url('us-east-1')}/v1/conflicts?collection=tags`)).json as {
      conflicts: { rule: string }[];
    };
    assert.deepEqual(
      ledger.conflicts.map((c) => c.rule),
      ['resolver'],
    );
  });

  it('two stock y-websocket clients attached to different regions converge', async () => {
    const ws = (region: string) => url(region).replace(/^http/, 'ws');
    const tokyo = connectClient(ws('ap-northeast-1'), 'shared-doc');
    const virginia = connectClient(ws('us-east-1'), 'shared-doc');
    try {
      await eventually('both synced', 10_000, async () =>
        tokyo.provider.synced && virginia.provider.synced ? true : undefined,
      );
      tokyo.text.insert(0, 'hello from Tokyo. ');
      virginia.text.insert(0, 'hello from Virginia. ');
      await eventually('the same text on both clients', 15_000, async () => {
        const a = tokyo.text.toJSON();
        return a === virginia.text.toJSON() && a.includes('Tokyo') && a.includes('Virginia')
          ? true
          : undefined;
      });
    } finally {
      tokyo.destroy();
      virginia.destroy();
    }
  });

  it('the real editing trace, split across three regions and applied concurrently, ends identical everywhere', async () => {
    const trace = loadEditingTrace();
    const regions = ['us-east-1', 'eu-west-1', 'ap-northeast-1'];
    // One author types the whole trace; its updates go, in batches, to whichever region is next, all
    // three regions receiving their share concurrently.
    const author = new Y.Doc();
    const updates: Uint8Array[] = [];
    author.on('update', (u: Uint8Array) => updates.push(u));
    const BATCH = 10_000;
    const shares: Uint8Array[][] = [[], [], []];
    const order = new Map<Uint8Array, number>();
    for (let from = 0, i = 0; from < trace.edits.length; from += BATCH, i++) {
      updates.length = 0;
      replayIntoYDoc(author, trace.edits, from, Math.min(from + BATCH, trace.edits.length));
      const update = Y.mergeUpdates(updates);
      order.set(update, i);
      shares[i % 3]!.push(update);
    }
    assert.equal(author.getText('text').toJSON(), trace.endContent);
    await Promise.all(
      regions.map(async (region, i) => {
        for (const update of shares[i]!) {
          const res = await request(`${doc(region, 'notes', 'paper')}/yjs`, {
            method: 'POST',
            body: update,
            headers: { 'content-type': 'application/octet-stream' },
          });
          assert.equal(res.statusCode, 200, await res.body.text());
          await res.body.dump();
        }
      }),
    );
    const textIn = async (region: string, key: string) => {
      const res = await httpJson('GET', doc(region, 'notes', key));
      if (res.status !== 200) return undefined;
      const replica = new Y.Doc();
      Y.applyUpdate(replica, Buffer.from((res.json as { yjs: string }).yjs, 'base64'));
      return replica.getText('text').toJSON();
    };
    // Replayed in order into one region, it is the trace's end text exactly.
    for (const update of shares.flat().sort((x, y) => order.get(x)! - order.get(y)!)) {
      const res = await request(`${doc('us-east-1', 'notes', 'in-order')}/yjs`, {
        method: 'POST',
        body: update,
        headers: { 'content-type': 'application/octet-stream' },
      });
      assert.equal(res.statusCode, 200, await res.body.text());
    }
    assert.equal(await textIn('us-east-1', 'in-order'), trace.endContent);
    for (const region of regions) {
      await eventually(`the trace's end text in ${region}`, 30_000, async () => {
        const res = await httpJson('GET', doc(region, 'notes', 'paper'));
        if (res.status !== 200) return undefined;
        const state = Buffer.from((res.json as { yjs: string }).yjs, 'base64');
        const replica = new Y.Doc();
        Y.applyUpdate(replica, state);
        return replica.getText('text').toJSON() === trace.endContent ? true : undefined;
      });
    }
  });
});
