// Log and tombstone collection end to end: with a short collection interval and tombstone grace, every
// region's log empties and its tombstones go once every region has them; a region wiped after that
// rebuilds from a snapshot (its peers no longer hold the log it would need), then follows the log.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { DeploymentState } from '../../src/control/deployment-state.ts';
import { eventually, freeBasePort, httpJson, runCli, tempDir } from './harness.ts';

const dir = tempDir('gc');
let state: DeploymentState;
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-1'] as const;
const WIPED = 'ap-northeast-1';
const url = (region: string) => state.regions.find((r) => r.name === region)!.url;
const doc = (region: string, key: string) =>
  `${url(region)}/v1/collections/profiles/docs/${encodeURIComponent(key)}`;

/** One series of a region's /metrics, summed over its label sets (0 when absent). */
async function metric(region: string, name: string, labels = ''): Promise<number> {
  const text = await (await request(`${url(region)}/metrics`)).body.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(labels))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function chaos(...args: string[]) {
  const res = await runCli(['chaos', ...args], dir.path);
  assert.equal(res.code, 0, res.stderr);
}

before(async () => {
  const config = join(dir.path, 'gc.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      regions: REGIONS.map((name) => ({ name })),
      collections: { profiles: {} },
      replication: { gcInterval: '500ms', tombstoneGrace: '1s', heartbeat: '250ms', idleTimeout: '2s' },
    }),
  );
  const port = await freeBasePort();
  const res = await runCli(['up', '--detach', '--config', config, '--base-port', String(port)], dir.path);
  assert.equal(res.code, 0, `up failed: ${res.stderr}\n${res.stdout}`);
  state = JSON.parse(readFileSync(join(dir.path, '.meridian', 'state.json'), 'utf8')) as DeploymentState;
});

after(async () => {
  await runCli(['down'], dir.path);
  dir.remove();
});

describe('log and tombstone collection', { timeout: 120_000 }, () => {
  const live = new Map<string, string>();
  const deleted: string[] = [];

  it('empties every log and purges every tombstone once all regions have them', async () => {
    for (const [i, region] of [...REGIONS, ...REGIONS, ...REGIONS].entries()) {
      for (let j = 0; j < 5; j++) {
        const key = `doc-${i}-${j}`;
        const res = await httpJson('PUT', doc(region, key), { i, j, by: region });
        assert.equal(res.status, 200, JSON.stringify(res.json));
        live.set(key, (res.json as { version: string }).version);
      }
    }
    for (const key of [...live.keys()].filter((_, n) => n % 3 === 0)) {
      const region = REGIONS[deleted.length % REGIONS.length]!;
      await eventually(`${key} replicated to ${region}`, 10_000, async () =>
        (await httpJson('GET', doc(region, key))).status === 200 ? true : undefined,
      );
      assert.equal((await httpJson('DELETE', doc(region, key))).status, 200);
      live.delete(key);
      deleted.push(key);
    }
    for (const region of REGIONS) {
      await eventually(`${region} collected its log and tombstones`, 20_000, async () => {
        const entries = await metric(region, 'meridian_store_log_entries');
        const tombstones = await metric(region, 'meridian_store_tombstones');
        return entries === 0 && tombstones === 0 ? true : undefined;
      });
      assert.ok((await metric(region, 'meridian_replication_log_truncated_total')) >= 45 + deleted.length);
      assert.ok((await metric(region, 'meridian_replication_tombstones_purged_total')) >= deleted.length);
      assert.equal(await metric(region, 'meridian_store_documents'), live.size);
    }
    const res = await runCli(['verify', '--wait', '5'], dir.path);
    assert.equal(res.code, 0, res.stdout);
  });

  it('a wiped region rebuilds from a snapshot, then follows the log', async () => {
    await chaos('kill', WIPED);
    rmSync(join(dir.path, '.meridian', 'regions', WIPED), { recursive: true, force: true });
    await chaos('restart', WIPED);
    await eventually('rebuilt and ready', 20_000, async () =>
      (await httpJson('GET', `${url(WIPED)}/readyz`)).status === 200 ? true : undefined,
    );
    assert.ok((await metric(WIPED, 'meridian_replication_snapshots_total')) >= 1, 'installed a snapshot');
    assert.ok(
      (await metric('us-east-1', 'meridian_replication_snapshots_sent_total', `peer="${WIPED}"`)) +
        (await metric('eu-west-1', 'meridian_replication_snapshots_sent_total', `peer="${WIPED}"`)) >=
        1,
    );
    // Everything is back, the deletes included (as absent keys: their tombstones were purged).
    for (const [key, version] of [...live].slice(0, 10)) {
      const got = await httpJson('GET', doc(WIPED, key));
      assert.equal(got.status, 200, key);
      assert.equal(String(got.headers['etag']).replaceAll('"', ''), version);
    }
    for (const key of deleted.slice(0, 5)) assert.equal((await httpJson('GET', doc(WIPED, key))).status, 404);
    // It follows the log: a write elsewhere arrives, and its own new write reaches the others.
    const there = await httpJson('PUT', doc('us-east-1', 'after-rebuild'), { n: 1 });
    const mine = await httpJson('PUT', doc(WIPED, 'from-rebuilt'), { n: 2 });
    assert.equal(mine.status, 200, JSON.stringify(mine.json));
    await eventually('new writes everywhere', 10_000, async () => {
      const a = await httpJson('GET', doc(WIPED, 'after-rebuild'));
      const b = await httpJson('GET', doc('eu-west-1', 'from-rebuilt'));
      return a.status === 200 && b.status === 200 ? true : undefined;
    });
    assert.equal(there.status, 200);
    const res = await runCli(['verify', '--wait', '20'], dir.path);
    assert.equal(res.code, 0, res.stdout);
  });
});
