// Replication end to end on the local deployment: visibility across the emulated WAN, convergence after
// partitions and kill -9, relay around a cut link, one LWW winner everywhere, authenticated streams.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { DeploymentState } from '../../src/control/deployment-state.ts';
import { eventually, freeBasePort, httpJson, runCli, tempDir } from './harness.ts';

const dir = tempDir('repl');
let state: DeploymentState;
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-1'] as const;
const url = (region: string) => state.regions.find((r) => r.name === region)!.url;
const doc = (region: string, key: string) =>
  `${url(region)}/v1/collections/profiles/docs/${encodeURIComponent(key)}`;

async function put(region: string, key: string, value: Record<string, unknown>): Promise<string> {
  const res = await httpJson('PUT', doc(region, key), value);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return (res.json as { version: string }).version;
}

async function versionAt(region: string, key: string): Promise<string | undefined> {
  const res = await httpJson('GET', doc(region, key));
  return res.status === 200 ? String(res.headers['etag']).replaceAll('"', '') : undefined;
}

async function verify(waitSeconds: number) {
  return runCli(['verify', '--json', '--wait', String(waitSeconds)], dir.path);
}

async function chaos(...args: string[]) {
  const res = await runCli(['chaos', ...args], dir.path);
  assert.equal(res.code, 0, res.stderr);
}

before(async () => {
  const res = await runCli(['up', '--detach', '--base-port', String(await freeBasePort())], dir.path);
  assert.equal(res.code, 0, `up failed: ${res.stderr}\n${res.stdout}`);
  state = JSON.parse(readFileSync(join(dir.path, '.meridian', 'state.json'), 'utf8')) as DeploymentState;
});

after(async () => {
  await runCli(['down'], dir.path);
  dir.remove();
});

describe('replication across the emulated WAN', () => {
  it('1,000 documents written in us-east-1 are readable in eu-west-1 and ap-northeast-1 within 2 s', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `bulk-${String(i).padStart(4, '0')}`);
    const versions = new Map<string, string>();
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys.slice(i, i + 50).map(async (k) => versions.set(k, await put('us-east-1', k, { k, n: i }))),
      );
    }
    const ackedAt = Date.now();
    for (const region of ['eu-west-1', 'ap-northeast-1']) {
      await eventually(`all 1,000 in ${region}`, 10_000, async () => {
        const res = await httpJson(
          'GET',
          `${url(region)}/v1/collections/profiles/docs?prefix=bulk-&limit=1000`,
        );
        const items = (res.json as { items: Array<{ key: string; version: string }> }).items;
        return items.length === 1000 && items.every((d) => versions.get(d.key) === d.version)
          ? true
          : undefined;
      });
    }
    const visibleMs = Date.now() - ackedAt;
    assert.ok(visibleMs <= 2000, `visible everywhere after ${visibleMs} ms`);
    const res = await verify(0);
    assert.equal(res.code, 0, res.stdout);
    assert.equal((JSON.parse(res.stdout) as { identical: boolean }).identical, true);
  });

  it('concurrent writes to one key in three regions converge to the same winner everywhere', async () => {
    const written = await Promise.all(REGIONS.map((r) => put(r, 'contended', { by: r })));
    const winner = [...written].sort().at(-1)!;
    for (const region of REGIONS) {
      await eventually(`winner in ${region}`, 10_000, async () =>
        (await versionAt(region, 'contended')) === winner ? true : undefined,
      );
    }
    const body = await httpJson('GET', doc('ap-northeast-1', 'contended'));
    assert.equal((body.json as { by: string }).by, winner.split('@')[1]);
  });

  it('with us-east-1 <-> ap-northeast-1 cut, changes still reach ap-northeast-1 through eu-west-1 (relay)', async () => {
    await chaos('partition', 'us-east-1', 'ap-northeast-1');
    try {
      const version = await put('us-east-1', 'relayed', { via: 'eu-west-1' });
      await eventually('relayed change in ap-northeast-1', 10_000, async () =>
        (await versionAt('ap-northeast-1', 'relayed')) === version ? true : undefined,
      );
      assert.equal(await versionAt('eu-west-1', 'relayed'), version);
    } finally {
      await chaos('heal');
    }
  });

  it('a partition with writes on both sides heals to identical data', async () => {
    await chaos('partition', 'us-east-1', 'eu-west-1');
    await chaos('partition', 'us-east-1', 'ap-northeast-1');
    const isolated = await Promise.all(
      Array.from({ length: 20 }, (_, i) => put('us-east-1', `split-${i}`, { side: 'us' })),
    );
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => put('eu-west-1', `split-${i + 10}`, { side: 'eu' })),
    );
    const during = await verify(0);
    assert.equal(during.code, 1, 'regions cannot be identical while cut apart');
    assert.ok((JSON.parse(during.stdout) as { differences: unknown[] }).differences.length > 0);
    await chaos('heal');
    const healed = await verify(15);
    assert.equal(healed.code, 0, healed.stdout);
    assert.equal(await versionAt('ap-northeast-1', 'split-0'), isolated[0]);
  });

  it('a region killed during a steady write load catches up after restart with nothing missing', async () => {
    const acked = new Map<string, string>();
    let stop = false;
    let n = 0;
    const load = (async () => {
      while (!stop) {
        const i = n++;
        const region = i % 2 === 0 ? 'us-east-1' : 'eu-west-1';
        acked.set(`load-${i}`, await put(region, `load-${i}`, { i }));
      }
    })();
    await eventually('some load', 10_000, async () => (acked.size >= 100 ? true : undefined));
    await chaos('kill', 'ap-northeast-1');
    const atKill = acked.size;
    await eventually('load while down', 10_000, async () => (acked.size >= atKill + 200 ? true : undefined));
    await chaos('restart', 'ap-northeast-1');
    await eventually('load after restart', 10_000, async () =>
      acked.size >= atKill + 300 ? true : undefined,
    );
    stop = true;
    await load;
    const res = await verify(20);
    assert.equal(res.code, 0, res.stdout);
    const list = await httpJson(
      'GET',
      `${url('ap-northeast-1')}/v1/collections/profiles/docs?prefix=load-&limit=1000`,
    );
    const items = (list.json as { items: Array<{ key: string; version: string }> }).items;
    assert.equal(items.length, Math.min(acked.size, 1000));
    for (const item of items) assert.equal(item.version, acked.get(item.key));
  });

  it('a wiped region rebuilds every document from its peers, and its new writes are not lost', async () => {
    // Its own earlier writes are what a rebuilt region must get back before it numbers new ones.
    const own = await Promise.all(
      Array.from({ length: 5 }, (_, i) => put('ap-northeast-1', `tokyo-${i}`, { i })),
    );
    await eventually('own writes replicated', 10_000, async () =>
      (await versionAt('us-east-1', 'tokyo-4')) === own[4] ? true : undefined,
    );
    await chaos('kill', 'ap-northeast-1');
    rmSync(join(dir.path, '.meridian', 'regions', 'ap-northeast-1'), { recursive: true, force: true });
    // Cut off from its peers, the rebuilt region must refuse writes: it cannot know its own past yet.
    await chaos('partition', 'ap-northeast-1', 'us-east-1');
    await chaos('partition', 'ap-northeast-1', 'eu-west-1');
    await chaos('restart', 'ap-northeast-1');
    const refused = await httpJson('PUT', doc('ap-northeast-1', 'too-early'), { early: true });
    assert.equal(refused.status, 503);
    assert.match(
      (refused.json as { error: { message: string } }).error.message,
      /rebuilding its data from its peers/,
    );
    assert.equal((await httpJson('GET', `${url('ap-northeast-1')}/readyz`)).status, 503);
    await chaos('heal');
    await eventually('rebuilt and ready', 15_000, async () =>
      (await httpJson('GET', `${url('ap-northeast-1')}/readyz`)).status === 200 ? true : undefined,
    );
    const res = await verify(20);
    assert.equal(res.code, 0, res.stdout);
    assert.ok((await versionAt('ap-northeast-1', 'bulk-0999')) !== undefined);
    assert.equal(await versionAt('ap-northeast-1', 'tokyo-4'), own[4]);
    const fresh = await put('ap-northeast-1', 'after-wipe', { ok: true });
    await eventually('a write after the rebuild reaches us-east-1', 10_000, async () =>
      (await versionAt('us-east-1', 'after-wipe')) === fresh ? true : undefined,
    );
  });

  it('replication streams refuse forged requests: 401 and nothing served', async () => {
    const res = await request(`${url('us-east-1')}/v1/replication/pull`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-meridian-auth': 'a'.repeat(64) },
      body: JSON.stringify({ region: 'eu-west-1', applied: {}, nonce: 'n'.repeat(32), sentAt: Date.now() }),
    });
    assert.equal(res.statusCode, 401);
    const body = (await res.body.json()) as { error: { message: string } };
    assert.match(body.error.message, /bad MAC/);
    const metrics = await (await request(`${url('us-east-1')}/metrics`)).body.text();
    assert.match(metrics, /meridian_replication_rejected_total\{side="sender",region="us-east-1"\} [1-9]/);
  });

  it('status shows replication lag per pair', async () => {
    await put('us-east-1', 'lag-probe', { t: Date.now() });
    const status = await eventually('lag reported', 10_000, async () => {
      const res = await runCli(['status', '--json'], dir.path);
      const s = JSON.parse(res.stdout) as {
        regions: Array<{ name: string; peers: Array<{ name: string; lagMs: number | null }> }>;
      };
      const eu = s.regions.find((r) => r.name === 'eu-west-1')!.peers.find((p) => p.name === 'us-east-1')!;
      return eu.lagMs !== null ? eu : undefined;
    });
    // One-way us-east-1 -> eu-west-1 is ~35 ms: the lag cannot be less (physics).
    assert.ok(status.lagMs! >= 30, `lag ${status.lagMs} ms`);
  });
});
