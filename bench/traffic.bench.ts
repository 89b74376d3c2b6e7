// bench:traffic — the edge router's overhead against the region directly (and HAProxy, when installed),
// GeoDNS queries per second, and the failover time over repeated `drill kill` runs on a local deployment.

import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { updateBenchmarksFile } from './lib/benchmarks-md.ts';
import { runClosedLoop } from './lib/load.ts';
import { loadAverage1m, machineInfo } from './lib/results.ts';
import { REPO_ROOT, startRegionNode } from './lib/servers.ts';
import { round, summarize, type LatencySummary } from './lib/stats.ts';
import { blastDns, haproxyVersion, startDns, startEdge, startHaproxy } from './lib/traffic-peers.ts';
import { runDrill, type DrillResult } from '../src/edge/drill.ts';
import { cityBlock } from '../src/edge/sim-geo.ts';
import { loadWorldCities } from '../src/edge/world-cities.ts';
import { readState } from '../src/control/deployment-state.ts';
import { down, up } from '../src/control/supervisor.ts';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    drills: { type: 'string', default: '20' },
  },
});
const DURATION_MS = Number(flags.duration) * 1000;
const CONNECTIONS = Number(flags.connections);
const DRILLS = Number(flags.drills);
const log = (line: string) => console.log(line);
const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-traffic-'));
const cleanups: Array<() => Promise<unknown>> = [];

interface Phase {
  readonly name: string;
  readonly connections: number;
  readonly requests: number;
  readonly errors: number;
  readonly reqPerSec: number;
  readonly latencyMs: LatencySummary;
}

async function phase(name: string, origin: string, connections: number, durationMs: number): Promise<Phase> {
  await runClosedLoop({
    origin,
    connections,
    durationMs: 500,
    expectStatus: 200,
    next: () => ({ method: 'GET', path: '/healthz' }),
  });
  const run = await runClosedLoop({
    origin,
    connections,
    durationMs,
    expectStatus: 200,
    next: () => ({ method: 'GET', path: '/healthz' }),
  });
  const s = summarize(run.latenciesMs);
  const latencyMs = {
    p50: round(s.p50, 3),
    p90: round(s.p90, 3),
    p99: round(s.p99, 3),
    max: round(s.max, 2),
    mean: round(s.mean, 3),
  };
  const reqPerSec = Math.round((run.requests / run.elapsedMs) * 1000);
  log(
    `  ${name.padEnd(28)} ${String(reqPerSec).padStart(6)} req/s  p50 ${latencyMs.p50} ms  p99 ${latencyMs.p99} ms  errors ${run.errors}`,
  );
  return { name, connections, requests: run.requests, errors: run.errors, reqPerSec, latencyMs };
}

async function overhead() {
  mkdirSync(join(dir, 'region'));
  const region = await startRegionNode({
    dataDir: join(dir, 'region'),
    store: 'memory',
    cpuProfDir: undefined,
  });
  cleanups.push(() => region.stop());
  const edge = await startEdge(dir, region.url);
  cleanups.push(() => edge.stop());
  const haproxy = haproxyVersion() === undefined ? undefined : await startHaproxy(dir, region.url);
  if (haproxy) cleanups.push(() => haproxy.stop());
  log(
    `region ${region.url}, edge ${edge.url}${haproxy ? `, HAProxy ${haproxy.url}` : ' (HAProxy not installed: no peer)'}`,
  );
  const peers: Array<[string, string]> = [
    ['direct', region.url],
    ['edge', edge.url],
    ...(haproxy ? ([['haproxy', haproxy.url]] as Array<[string, string]>) : []),
  ];
  const phases: Phase[] = [];
  for (const [label, connections] of [
    ['latency (1 connection)', 1],
    [`throughput (${CONNECTIONS} connections)`, CONNECTIONS],
  ] as const) {
    log(`${label}:`);
    // Direct before and after the others: their difference shows how much the machine's load drifted.
    for (const [name, url] of [...peers, ['direct-after', region.url] as [string, string]]) {
      phases.push(await phase(`${name}, ${connections} conn`, url, connections, DURATION_MS));
    }
  }
  await Promise.all(cleanups.splice(0).map((c) => c()));
  const pick = (name: string, connections: number) =>
    phases.find((p) => p.name === `${name}, ${connections} conn`);
  const direct = (connections: number, f: (p: Phase) => number) =>
    (f(pick('direct', connections)!) + f(pick('direct-after', connections)!)) / 2;
  const added = (name: string) => {
    const p = pick(name, 1);
    if (!p) return null;
    return {
      p50Ms: round(p.latencyMs.p50 - direct(1, (x) => x.latencyMs.p50), 3),
      p99Ms: round(p.latencyMs.p99 - direct(1, (x) => x.latencyMs.p99), 3),
      reqPerSecRatio: round(pick(name, CONNECTIONS)!.reqPerSec / direct(CONNECTIONS, (x) => x.reqPerSec), 3),
    };
  };
  return {
    phases,
    edge: added('edge')!,
    haproxy: added('haproxy'),
    haproxyVersion: haproxyVersion() ?? null,
  };
}

async function dnsQps() {
  mkdirSync(join(dir, 'dns-region'));
  const region = await startRegionNode({
    dataDir: join(dir, 'dns-region'),
    store: 'memory',
    cpuProfDir: undefined,
  });
  const dns = await startDns(dir, region.url);
  try {
    const subnets = loadWorldCities().map(cityBlock);
    const result = await blastDns(dns.dnsPort, DURATION_MS, 64, subnets);
    log(
      `GeoDNS: ${result.queriesPerSec} queries/s (${result.answered} of ${result.sent} answered, 64 outstanding, ECS per city)`,
    );
    return result;
  } finally {
    await dns.stop();
    await region.stop();
  }
}

async function allEdgesSeeAllRegions(dataDir: string): Promise<void> {
  const state = readState(dataDir);
  for (let i = 0; i < 100; i++) {
    const views = await Promise.all(
      (state.edges ?? []).map(async (e) => {
        const res = await request(`${e.url}/_meridian/status`);
        return (await res.body.json()) as { regions: Array<{ healthy: boolean }> };
      }),
    );
    if (views.every((v) => v.regions.every((r) => r.healthy))) return;
    await sleep(100);
  }
  throw new Error('the edges did not see every region healthy again within 10 s');
}

async function failover() {
  const deployDir = join(dir, 'deploy');
  mkdirSync(deployDir, { recursive: true });
  const configFile = join(deployDir, 'meridian.config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }, { name: 'ap-northeast-1' }],
      collections: { profiles: {} },
      routing: { health: { interval: 250 } },
      log: { level: 'warn' },
    }),
  );
  const dataDir = join(deployDir, '.meridian');
  await up({
    configFile,
    dataDir,
    // Below the ephemeral range (32768+), where outgoing connections could take a deployment's port.
    basePort: 20_000 + Math.floor(Math.random() * 60) * 200,
    detach: true,
    progress: () => undefined,
  });
  cleanups.push(() => down(dataDir));
  const drills: DrillResult[] = [];
  const regions = ['us-east-1', 'eu-west-1', 'ap-northeast-1'];
  try {
    for (let i = 0; i < DRILLS; i++) {
      await allEdgesSeeAllRegions(dataDir);
      const region = regions[i % regions.length]!;
      const result = await runDrill({
        state: readState(dataDir),
        region,
        ratePerSec: 50,
        warmupMs: 1000,
        observeMs: 2500,
        lastMileRttMs: 10,
        path: '/healthz',
      });
      drills.push(result);
      log(
        `  drill ${i + 1}/${DRILLS}: kill ${region}: recovered after ${result.recoveredAfterMs} ms, failed ${result.failed}, retried ${result.retried}`,
      );
    }
  } finally {
    await Promise.all(cleanups.splice(0).map((c) => c()));
  }
  // A drill's failover time: until no new request reaches the dead region first (every edge took it out)
  // and none fails; an edge that never took it out while watched counts as the whole watch.
  const times = drills.map((d) => Math.max(d.recoveredAfterMs, d.edgesDetectedAfterMs ?? 2500));
  const s = summarize(times);
  const detected = summarize(drills.map((d) => d.edgesDetectedAfterMs ?? 2500));
  return {
    drills: drills.length,
    recoveredAfterMs: { p50: s.p50, p90: s.p90, p99: s.p99, max: s.max, mean: round(s.mean, 1) },
    edgesDetectedAfterMs: { p50: detected.p50, p99: detected.p99, max: detected.max },
    failedRequests: drills.reduce((n, d) => n + d.failed, 0),
    retriedRequests: drills.reduce((n, d) => n + d.retried, 0),
    requestsAfterKill: drills.reduce((n, d) => n + d.requestsAfterKill, 0),
    samples: times,
  };
}

async function main(): Promise<void> {
  const loadAtStart = loadAverage1m();
  const cpu = cpus();
  log(`bench:traffic on ${cpu[0]?.model.trim() ?? 'unknown CPU'} × ${cpu.length}, Node ${process.version}`);
  log('Router overhead (GET /healthz of a region node, memory store):');
  const router = await overhead();
  const dns = await dnsQps();
  log(`Failover: ${DRILLS} drills (kill a region under 50 req/s of virtual users, health interval 250 ms):`);
  const fail = await failover();
  const machine = machineInfo(loadAtStart);
  const targets = [
    {
      name: 'edge added p50 (ms)',
      measured: router.edge.p50Ms,
      goal: '≤ 0.5',
      met: router.edge.p50Ms <= 0.5,
    },
    {
      name: 'edge req/s ÷ direct',
      measured: router.edge.reqPerSecRatio,
      goal: '≥ 0.5',
      met: router.edge.reqPerSecRatio >= 0.5,
    },
    {
      name: 'failover p99 (ms)',
      measured: fail.recoveredAfterMs.p99,
      goal: '≤ 3000',
      met: fail.recoveredAfterMs.p99 <= 3000,
    },
  ];
  const results = {
    benchmark: 'bench:traffic',
    date: new Date().toISOString(),
    machine,
    settings: { durationMs: DURATION_MS, connections: CONNECTIONS, drills: DRILLS },
    router,
    dns,
    failover: fail,
    targets,
  };
  const resultsDir = join(REPO_ROOT, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `traffic-${results.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(resultsDir, 'traffic-latest.json'), JSON.stringify(results, null, 2) + '\n');
  updateBenchmarksFile(
    join(REPO_ROOT, 'BENCHMARKS.md'),
    '## bench:traffic',
    section(results, relative(REPO_ROOT, file)),
  );
  for (const t of targets) log(`${t.name}: ${t.measured} (goal ${t.goal}) ${t.met ? 'met' : 'NOT MET'}`);
  log(`results: ${relative(REPO_ROOT, file)}; BENCHMARKS.md updated`);
}

function section(
  r: {
    date: string;
    machine: ReturnType<typeof machineInfo>;
    router: Awaited<ReturnType<typeof overhead>>;
    dns: Awaited<ReturnType<typeof dnsQps>>;
    failover: Awaited<ReturnType<typeof failover>>;
    targets: Array<{ name: string; measured: number; goal: string; met: boolean }>;
  },
  file: string,
): string {
  const m = r.machine;
  const rows = r.router.phases.map(
    (p) =>
      `| ${p.name} | ${p.reqPerSec} | ${p.latencyMs.p50.toFixed(3)} | ${p.latencyMs.p99.toFixed(3)} | ${p.errors} |`,
  );
  const f = r.failover.recoveredAfterMs;
  return [
    '## bench:traffic',
    '',
    'The edge router (a real `meridian edge start` process) in front of one region node (`meridian region start`, memory store), against the region directly and HAProxy with the equivalent config, measured in the same run on loopback; the GeoDNS under a UDP query load; and failover over repeated `drill kill` runs on a local deployment (`meridian up`, health interval 250 ms).',
    '',
    `- **Run:** ${r.date}`,
    `- **Machine:** ${m.cpuModel} × ${m.cpuCount}, ${(m.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB RAM, Node ${m.node}, ${m.os}; 1-min load average ${m.loadAverage1m.atStart} at start, ${m.loadAverage1m.atEnd} at end`,
    `- **Load:** undici Pool, closed loop, GET /healthz; latency phases with 1 connection, throughput phases with ${r.router.phases.find((p) => p.connections > 1)?.connections ?? '?'}; 0.5 s warm-up + ${(DURATION_MS / 1000).toFixed(0)} s measured each. Load generator, proxies and region share the same cores.`,
    `- **HAProxy:** ${r.router.haproxyVersion ?? 'not installed (`apt-get install haproxy` adds it as the peer)'}; one thread, \`http-reuse always\`, kept-alive server connections.`,
    '',
    '| Phase | req/s | p50 ms | p99 ms | errors |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Added by the edge (1 connection, against the mean of direct before and after): p50 **${r.router.edge.p50Ms} ms**, p99 ${r.router.edge.p99Ms} ms; throughput ${r.router.edge.reqPerSecRatio}× direct.` +
      (r.router.haproxy
        ? ` HAProxy adds p50 ${r.router.haproxy.p50Ms} ms, p99 ${r.router.haproxy.p99Ms} ms, throughput ${r.router.haproxy.reqPerSecRatio}× direct.`
        : ''),
    '',
    `GeoDNS: **${r.dns.queriesPerSec} queries/s** over UDP (64 outstanding, every query with an ECS subnet of a simulator city, so each one geolocates and runs the policy); ${r.dns.answered} of ${r.dns.sent} answered.`,
    '',
    `Failover over ${r.failover.drills} drills (each: 50 req/s of virtual users, kill a region after 1 s, watch 2.5 s, restart): time from the kill until every new request succeeds elsewhere without first reaching the dead region (every edge has taken it out, and no request fails or is retried after that) — p50 **${f.p50} ms**, p90 ${f.p90} ms, p99 **${f.p99} ms**, max ${f.max} ms (the edges alone: p50 ${r.failover.edgesDetectedAfterMs.p50} ms, p99 ${r.failover.edgesDetectedAfterMs.p99} ms). Requests that failed in all drills: ${r.failover.failedRequests} of ${r.failover.requestsAfterKill} sent after the kills (the edges retried ${r.failover.retriedRequests} in the next region).`,
    '',
    '| Target | Measured | Goal | Result |',
    '| --- | ---: | ---: | ---: |',
    ...r.targets.map((t) => `| ${t.name} | ${t.measured} | ${t.goal} | ${t.met ? 'met' : '**NOT MET**'} |`),
    '',
    `Full figures: \`${file}\`.`,
  ].join('\n');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.allSettled(cleanups.map((c) => c())).finally(() => process.exit(130));
  });
}

try {
  await main();
} finally {
  await Promise.allSettled(cleanups.map((c) => c()));
  rmSync(dir, { recursive: true, force: true });
}
