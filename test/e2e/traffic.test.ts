// Global traffic end to end: `meridian up` with edges at each region city and the GeoDNS, real processes
// over the emulated WAN. Users in Tokyo, Paris and New York reach their region; an EU resident in Tokyo
// stays in the EU; killing a region moves traffic within 3 s and refuses EU traffic rather than send it
// out; DNS answers per location and drops a dead region within one health interval; bad input.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { isAlive } from '../../src/control/processes.ts';
import type { DeploymentState } from '../../src/control/deployment-state.ts';
import type { DeploymentStatus } from '../../src/control/status.ts';
import { queryPacket, recordData, udpQuery } from '../../src/edge/dns-test-support.ts';
import type { LoadSummary } from '../../src/edge/load-report.ts';
import type { DrillResult } from '../../src/edge/drill.ts';
import { cityAddress } from '../../src/edge/sim-geo.ts';
import { findCity, loadWorldCities } from '../../src/edge/world-cities.ts';
import { eventually, freeBasePort, runCli, tempDir } from './harness.ts';

const HEALTH_INTERVAL_MS = 250;
const dir = tempDir('traffic');
const cities = loadWorldCities();
const ip = (city: string) => cityAddress(findCity(cities, city), 7);
const subnet = (city: string) => `${ip(city).replace(/\.\d+$/, '.0')}/24`;
let state: DeploymentState;
const edge = (region: string) => state.edges!.find((e) => e.region === region)!.url;
// A client on 127.0.0.3: not the trusted proxy (127.0.0.1) of the local deployment.
const untrusted = new Agent({ localAddress: '127.0.0.3' });

async function get(url: string, headers: Record<string, string> = {}, dispatcher?: Agent) {
  const res = await request(url, { headers, dispatcher, headersTimeout: 5000, bodyTimeout: 5000 });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: JSON.parse(text) as Record<string, unknown> };
}

before(async () => {
  writeFileSync(
    join(dir.path, 'meridian.config.json'),
    JSON.stringify({
      regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }, { name: 'ap-northeast-1' }],
      collections: { profiles: {} },
      routing: {
        residency: { zones: { eu: ['eu-west-1'] }, retryAfter: '2s' },
        health: { interval: HEALTH_INTERVAL_MS },
      },
      log: { level: 'warn' },
    }),
  );
  const res = await runCli(['up', '--detach', '--base-port', String(await freeBasePort())], dir.path);
  assert.equal(res.code, 0, `up failed: ${res.stderr}\n${res.stdout}`);
  assert.match(res.stdout, /edge-ap-northeast-1 \(Tokyo\) ready at http:\/\/127\.0\.0\.1:\d+/);
  assert.match(res.stdout, /GeoDNS for api\.meridian\.test at 127\.0\.0\.1:\d+ \(UDP\+TCP\)/);
  state = JSON.parse(readFileSync(join(dir.path, '.meridian', 'state.json'), 'utf8')) as DeploymentState;
});

after(async () => {
  const pids = state
    ? [...state.edges!.map((e) => e.pid), state.dns!.pid, ...state.regions.map((r) => r.pid)]
    : [];
  const res = await runCli(['down'], dir.path);
  await untrusted.close();
  dir.remove();
  assert.equal(res.code, 0, res.stderr);
  for (const pid of pids) assert.equal(isAlive(pid), false, `process ${pid} still running after down`);
});

describe('edges and GeoDNS in the local deployment', () => {
  it('records and reports an edge per region city and the GeoDNS', async () => {
    assert.deepEqual(
      state.edges!.map((e) => [e.name, e.city]),
      [
        ['edge-us-east-1', 'Ashburn VA'],
        ['edge-eu-west-1', 'Dublin'],
        ['edge-ap-northeast-1', 'Tokyo'],
      ],
    );
    const res = await runCli(['status', '--json'], dir.path);
    assert.equal(res.code, 0, res.stderr);
    const status = JSON.parse(res.stdout) as DeploymentStatus;
    assert.deepEqual(
      status.edges.map((e) => [e.name, e.healthy, e.regions.every((r) => r.healthy)]),
      state.edges!.map((e) => [e.name, true, true]),
    );
    assert.equal(status.dns?.healthy, true);
  });

  it('Tokyo is served by ap-northeast-1, Paris by eu-west-1, New York by us-east-1', async () => {
    const cases = [
      ['Tokyo', 'ap-northeast-1', 'ap-northeast-1'],
      ['Paris', 'eu-west-1', 'eu-west-1'],
      ['New York', 'us-east-1', 'us-east-1'],
    ] as const;
    for (const [city, nearestEdge, region] of cases) {
      const res = await get(`${edge(nearestEdge)}/healthz`, { 'x-forwarded-for': ip(city) });
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-meridian-region'], region, city);
      assert.equal(res.json['region'], region);
      assert.equal(res.headers['x-meridian-route'], 'latency');
    }
  });

  it('an EU resident travelling in Tokyo is served in the EU, and /explain shows why', async () => {
    const res = await get(`${edge('ap-northeast-1')}/healthz`, {
      'x-forwarded-for': ip('Tokyo'),
      'x-meridian-residency': 'eu',
    });
    assert.equal(res.headers['x-meridian-region'], 'eu-west-1');
    const why = await get(`${edge('ap-northeast-1')}/explain?ip=${ip('Tokyo')}&residency=eu`);
    const decision = why.json['decision'] as { region: string; rule: string };
    const steps = why.json['steps'] as Array<{ rule: string; outcome: string; detail: string }>;
    const inputs = why.json['inputs'] as {
      geo: { country: string };
      residency: { zone: string };
      regions: Array<{ name: string; rttMs: number }>;
    };
    assert.equal(decision.region, 'eu-west-1');
    assert.deepEqual(steps[0], {
      rule: 'residency',
      outcome: 'constrained',
      detail: "zone 'eu': only eu-west-1 may serve",
    });
    assert.equal(inputs.geo.country, 'JP');
    // The Tokyo edge measures its own RTTs: its region is near, Dublin is ~200 ms away over the WAN.
    const rtt = Object.fromEntries(inputs.regions.map((r) => [r.name, r.rttMs]));
    assert.ok(rtt['ap-northeast-1']! < 30 && rtt['eu-west-1']! > 180, JSON.stringify(rtt));
  });

  it('a forged x-forwarded-for from an untrusted hop is ignored; bad HTTP gets a clear status', async () => {
    const forged = await get(
      `${edge('ap-northeast-1')}/explain`,
      { 'x-forwarded-for': ip('Paris') },
      untrusted,
    );
    const client = (forged.json['inputs'] as { client: { ip: string; ignored: string } }).client;
    assert.equal(client.ip, '127.0.0.3');
    assert.match(client.ignored, /untrusted peer 127\.0\.0\.3 ignored/);
    const big = await get(`${edge('us-east-1')}/healthz`, { 'x-big': 'x'.repeat(20_000) });
    assert.equal(big.status, 431);
    const socket = connect(Number(new URL(edge('us-east-1')).port), '127.0.0.1');
    socket.end('\x00\x01garbage\r\n\r\n');
    let raw = '';
    for await (const chunk of socket) raw += String(chunk);
    assert.match(raw, /^HTTP\/1\.1 400 Bad Request/);
  });

  it('the GeoDNS answers per location with ECS, and for the resolver without it', async () => {
    const dns = state.dns!;
    const answer = async (city: string) =>
      (await udpQuery(dns.port, queryPacket(dns.service, 'A', subnet(city))))?.answers?.map(recordData);
    assert.deepEqual(await answer('Tokyo'), ['127.0.1.3']);
    assert.deepEqual(await answer('Paris'), ['127.0.1.2']);
    assert.deepEqual(await answer('New York'), ['127.0.1.1']);
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`${dns.address}:${dns.port}`]);
    const [a] = await resolver.resolve4(dns.service, { ttl: true });
    assert.equal(a?.ttl, 30);
    await assert.rejects(resolver.resolve4('example.com'), { code: 'EREFUSED' });
    const garbage = await udpQuery(dns.port, Buffer.from('definitely not DNS'), 300);
    assert.equal(garbage, undefined);
    const status = await get(`${dns.statusUrl}/status`);
    assert.ok(((status.json['counters'] as { malformed: number }).malformed ?? 0) >= 1);
  });

  it('killing eu-west-1: DNS drops it within one health interval, the edge moves traffic within 3 s, EU traffic is refused', async () => {
    const dns = state.dns!;
    const killed = await runCli(['chaos', 'kill', 'eu-west-1'], dir.path);
    assert.equal(killed.code, 0, killed.stderr);
    const killedAt = Date.now();
    const changed = await eventually('the Paris DNS answer to change', 3000, async () => {
      const a = (await udpQuery(dns.port, queryPacket(dns.service, 'A', subnet('Paris'))))?.answers?.map(
        recordData,
      );
      return a && a[0] !== '127.0.1.2' ? Date.now() : undefined;
    });
    // One interval, plus the 100 ms polling of `eventually` and a busy machine.
    assert.ok(changed - killedAt <= HEALTH_INTERVAL_MS + 400, `DNS changed after ${changed - killedAt} ms`);

    const moved = await eventually('Paris users served elsewhere without a retry', 3000, async () => {
      const res = await get(`${edge('eu-west-1')}/healthz`, { 'x-forwarded-for': ip('Paris') });
      return res.status === 200 && res.headers['x-meridian-route'] !== 'retry' ? res : undefined;
    });
    assert.ok(Date.now() - killedAt <= 3000);
    assert.equal(moved.headers['x-meridian-region'], 'us-east-1');

    const refused = await get(`${edge('eu-west-1')}/healthz`, { 'x-meridian-residency': 'eu' });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '2');
    assert.equal((refused.json['error'] as { code: string }).code, 'region_unavailable');

    const restarted = await runCli(['chaos', 'restart', 'eu-west-1'], dir.path);
    assert.equal(restarted.code, 0, restarted.stderr);
    await eventually('eu-west-1 serving EU residents again', 5000, async () => {
      const res = await get(`${edge('ap-northeast-1')}/healthz`, { 'x-meridian-residency': 'eu' });
      return res.headers['x-meridian-region'] === 'eu-west-1' ? true : undefined;
    });
  });

  it('meridian load: users near a region see p50 under 50 ms, far below a single region', async () => {
    const multi = await runCli(['load', '--duration', '3s', '--rate', '40', '--json'], dir.path);
    assert.equal(multi.code, 0, multi.stderr);
    const m = JSON.parse(multi.stdout) as LoadSummary;
    const single = await runCli(
      ['load', '--duration', '3s', '--rate', '40', '--single-region', 'us-east-1', '--json'],
      dir.path,
    );
    assert.equal(single.code, 0, single.stderr);
    const s = JSON.parse(single.stdout) as LoadSummary;
    assert.equal(m.errors, 0);
    assert.ok(m.nearRegion.p50Ms! < 50, `near-region p50 ${m.nearRegion.p50Ms} ms`);
    // Compared on Asia's users, the largest share of the population-weighted sample: a few seconds of
    // load leave too few users near the other regions for their p50 alone to be stable (seen: 25.9 vs 22).
    const asiaP50 = (summary: LoadSummary) => summary.byContinent.find((r) => r.group === 'AS')?.p50Ms ?? NaN;
    assert.ok(
      asiaP50(s) > 2 * asiaP50(m),
      `Asia p50: single region ${asiaP50(s)} ms vs three ${asiaP50(m)} ms`,
    );
    assert.deepEqual(Object.keys(s.servedBy.AS ?? {}), ['us-east-1']);
    assert.ok((m.servedBy.AS?.['ap-northeast-1'] ?? 0) > 0);
    const bad = await runCli(['load', '--rate', 'fast'], dir.path);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--rate must be a positive number, got 'fast'/);
  });

  it('meridian drill kill: every new request succeeds elsewhere within 3 s, and the region comes back', async () => {
    const res = await runCli(
      ['drill', 'kill', 'ap-northeast-1', '--rate', '60', '--warmup', '1s', '--observe', '3s', '--json'],
      dir.path,
    );
    assert.equal(res.code, 0, res.stderr);
    const drill = JSON.parse(res.stdout) as DrillResult;
    assert.ok(drill.recoveredAfterMs <= 3000, `recovered after ${drill.recoveredAfterMs} ms`);
    assert.ok(
      drill.edgesDetectedAfterMs !== null && drill.edgesDetectedAfterMs <= 3000,
      `edges: ${drill.edgesDetectedAfterMs}`,
    );
    assert.ok(drill.requestsAfterKill > 50);
    assert.ok((drill.servedAfter['us-east-1'] ?? 0) + (drill.servedAfter['eu-west-1'] ?? 0) > 0);
    assert.notEqual(drill.restartMs, null);
    const back = await get(`${edge('ap-northeast-1')}/healthz`, { 'x-forwarded-for': ip('Tokyo') });
    assert.equal(back.status, 200);
  });
});
