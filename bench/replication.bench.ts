// npm run bench:replication — the three demo regions on the emulated WAN under a steady write load
// (YCSB-like ~1 KB records spread over the regions): visibility lag per pair against the link's one-way
// delay (the physical floor), wire bytes per change against its raw JSON size, CPU per region.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, request } from 'undici';
import type { DeploymentState } from '../src/control/deployment-state.ts';
import { updateBenchmarksFile } from './lib/benchmarks-md.ts';
import { flag, meridian, ROOT } from './lib/cli.ts';
import { processCpuMs } from './lib/cpu-usage.ts';
import { bucketDelta, buckets, parsePromText, quantile, sum, type Sample } from './lib/prom-text.ts';
import { loadAverage1m, machineInfo } from './lib/results.ts';
import { round, summarize } from './lib/stats.ts';
import { ycsbBodies } from './lib/ycsb.ts';

const RATES = flag('rates', '1000,2000,5000').split(',').map(Number);
const DURATION_S = Number(flag('duration', '10'));
const KEYS = 20_000;
/** The alphabet of YCSB-like fields has 62 symbols: log2(62)/8 of a byte each is all any codec can reach. */
const ENTROPY_FLOOR = Math.log2(62) / 8;

interface PairResult {
  readonly from: string;
  readonly to: string;
  readonly oneWayMs: number;
  readonly changes: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly p99OverFloorMs: number | null;
}

interface RateResult {
  readonly targetPerSec: number;
  readonly achievedPerSec: number;
  readonly errors: number;
  readonly writeLatencyMs: { p50: number; p99: number };
  readonly pairs: PairResult[];
  readonly wireBytes: number;
  readonly rawBytes: number;
  readonly sentChanges: number;
  readonly wireOverRaw: number;
  readonly wireBytesPerWrite: number;
  readonly rawBytesPerChange: number;
  readonly cpuPercent: Record<string, number>;
}

async function scrape(url: string): Promise<Sample[]> {
  const res = await request(`${url}/metrics`);
  return parsePromText(await res.body.text());
}

async function runRate(
  state: DeploymentState,
  links: Map<string, number>,
  rate: number,
  bodies: readonly string[],
): Promise<RateResult> {
  const regions = state.regions;
  const pools = regions.map((r) => new Pool(r.url, { connections: 64 }));
  const before = await Promise.all(regions.map((r) => scrape(r.url)));
  const cpuBefore = regions.map((r) => processCpuMs(r.pid!) ?? 0);
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  let inFlight = 0;
  const started = performance.now();
  const endAt = started + DURATION_S * 1000;
  const pending: Promise<void>[] = [];
  // Open loop: requests leave on schedule whatever the answers do, up to a bound on requests in flight.
  while (performance.now() < endAt) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (sent < due && inFlight < 2000) {
      const i = sent++;
      const region = i % regions.length;
      const t0 = performance.now();
      inFlight++;
      pending.push(
        pools[region]!.request({
          method: 'PUT',
          path: `/v1/collections/profiles/docs/user${Math.floor(Math.random() * KEYS)}`,
          headers: { 'content-type': 'application/json' },
          body: bodies[i % bodies.length],
        })
          .then(async (res) => {
            await res.body.dump();
            if (res.statusCode === 200) latencies.push(performance.now() - t0);
            else errors++;
          })
          .catch(() => {
            errors++;
          })
          .finally(() => {
            inFlight--;
          }),
      );
    }
    await sleep(1);
  }
  await Promise.all(pending);
  const elapsedS = (performance.now() - started) / 1000;
  // Let replication drain before reading the counters.
  await sleep(3000);
  const after = await Promise.all(regions.map((r) => scrape(r.url)));
  const cpuAfter = regions.map((r) => processCpuMs(r.pid!) ?? 0);
  await Promise.all(pools.map((p) => p.close()));

  const pairs: PairResult[] = [];
  for (const [ti, to] of regions.entries()) {
    for (const from of regions) {
      if (from.name === to.name) continue;
      const where = { origin: from.name };
      const delta = bucketDelta(
        buckets(after[ti]!, 'meridian_replication_apply_lag_seconds', where),
        buckets(before[ti]!, 'meridian_replication_apply_lag_seconds', where),
      );
      const p50 = quantile(delta, 0.5);
      const p99 = quantile(delta, 0.99);
      const oneWayMs = (links.get(`${from.name}->${to.name}`) ?? NaN) / 2;
      pairs.push({
        from: from.name,
        to: to.name,
        oneWayMs: round(oneWayMs, 1),
        changes: delta.get(Infinity) ?? 0,
        p50Ms: p50 === undefined ? null : round(p50 * 1000, 1),
        p99Ms: p99 === undefined ? null : round(p99 * 1000, 1),
        p99OverFloorMs: p99 === undefined ? null : round(p99 * 1000 - oneWayMs, 1),
      });
    }
  }
  const diff = (name: string, where: Record<string, string>) =>
    after.reduce((a, s, i) => a + sum(s, name, where) - sum(before[i]!, name, where), 0);
  const wireBytes = diff('meridian_replication_sent_bytes_total', { kind: 'wire' });
  const rawBytes = diff('meridian_replication_sent_bytes_total', { kind: 'raw' });
  const sentChanges = diff('meridian_replication_sent_changes_total', {});
  const summary = summarize(latencies);
  const cpuPercent = Object.fromEntries(
    regions.map((r, i) => [
      r.name,
      round((100 * (cpuAfter[i]! - cpuBefore[i]!)) / ((elapsedS + 3) * 1000), 0),
    ]),
  );
  return {
    targetPerSec: rate,
    achievedPerSec: round(latencies.length / elapsedS, 0),
    errors,
    writeLatencyMs: { p50: round(summary.p50), p99: round(summary.p99) },
    pairs,
    wireBytes,
    rawBytes,
    sentChanges,
    wireOverRaw: round(wireBytes / rawBytes, 3),
    wireBytesPerWrite: round(wireBytes / Math.max(1, latencies.length), 0),
    rawBytesPerChange: round(rawBytes / Math.max(1, sentChanges), 0),
    cpuPercent,
  };
}

function markdown(
  results: RateResult[],
  meta: { date: string; machine: ReturnType<typeof machineInfo>; file: string },
): string {
  const m = meta.machine;
  const lines = [
    '## bench:replication',
    '',
    "The three demo regions (`meridian up`, SQLite stores) on the emulated WAN, a steady open-loop write load of YCSB-like ~1 KB records (10 fields of 100 random alphanumerics) spread evenly over the regions. Lag is commit at the origin to apply at the destination (`meridian_replication_apply_lag_seconds`, 2 ms buckets, interpolated), against the link's one-way delay — the physical floor. Everything (load generator, 3 regions, WAN emulator) shares the 2 cores.",
    '',
    `- **Run:** ${meta.date}; ${DURATION_S} s per rate`,
    `- **Machine:** ${m.cpuModel} × ${m.cpuCount}, ${round(m.totalMemoryBytes / 2 ** 30, 1)} GiB, Node ${m.node}; load average ${m.loadAverage1m.atStart} at start, ${m.loadAverage1m.atEnd} at end`,
    '',
    '| target w/s | achieved w/s | errors | write p50 / p99 ms | wire ÷ raw | wire B per write | CPU % (us / eu / ap) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.targetPerSec} | ${r.achievedPerSec} | ${r.errors} | ${r.writeLatencyMs.p50} / ${r.writeLatencyMs.p99} | ${r.wireOverRaw} | ${r.wireBytesPerWrite} | ${Object.values(r.cpuPercent).join(' / ')} |`,
    ),
    '',
    'Visibility lag per pair (ms), p50 / p99, and p99 minus the one-way delay (target: ≤ 25 ms at 2k writes/s):',
    '',
    `| pair | one-way | ${results.map((r) => `${r.targetPerSec} w/s p50 / p99 (−floor)`).join(' | ')} |`,
    `| --- | ---: | ${results.map(() => '---:').join(' | ')} |`,
    ...results[0]!.pairs.map(
      (p, i) =>
        `| ${p.from} → ${p.to} | ${p.oneWayMs} | ${results
          .map((r) => {
            const q = r.pairs[i]!;
            return `${q.p50Ms} / ${q.p99Ms} (+${q.p99OverFloorMs})`;
          })
          .join(' | ')} |`,
    ),
    '',
    `Wire bytes are everything the regions sent each other (frames, after zstd), over the raw JSON of the same batches; the entropy of random alphanumeric fields caps any codec at ${round(ENTROPY_FLOOR, 3)} of those characters. In a full mesh every change also reaches each region a second time by relay (counted as duplicates), so wire bytes per write include the relayed copies.`,
    '',
    `Full figures: \`${meta.file}\`.`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const loadAtStart = loadAverage1m();
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-repl-'));
  // Below the ephemeral range (32768+), where outgoing connections could take a region's port.
  const basePort = 20_000 + Math.floor(Math.random() * 60) * 200;
  console.log(`starting the demo deployment in ${dir} (base port ${basePort}) ...`);
  meridian(dir, 'up', '--detach', '--base-port', String(basePort));
  try {
    const state = JSON.parse(readFileSync(join(dir, '.meridian', 'state.json'), 'utf8')) as DeploymentState;
    const res = await request(`${state.wan.controlUrl}/links`);
    const { links } = (await res.body.json()) as {
      links: Array<{ from: string; to: string; rttMs: number }>;
    };
    const rtt = new Map(links.map((l) => [`${l.from}->${l.to}`, l.rttMs]));
    const bodies = ycsbBodies(2000, Math.random);
    const results: RateResult[] = [];
    for (const rate of RATES) {
      console.log(`load: ${rate} writes/s for ${DURATION_S} s ...`);
      const r = await runRate(state, rtt, rate, bodies);
      results.push(r);
      console.log(
        `  achieved ${r.achievedPerSec} w/s, errors ${r.errors}, wire/raw ${r.wireOverRaw}; lag p99 − floor: ${r.pairs.map((p) => `${p.from}->${p.to} +${p.p99OverFloorMs} ms`).join(', ')}`,
      );
    }
    const date = new Date().toISOString();
    const machine = machineInfo(loadAtStart);
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    const file = `bench/results/replication-${date.replace(/[:.]/g, '-')}.json`;
    const json =
      JSON.stringify(
        { date, machine, durationS: DURATION_S, entropyFloor: ENTROPY_FLOOR, results },
        null,
        2,
      ) + '\n';
    writeFileSync(join(ROOT, file), json);
    writeFileSync(join(ROOT, 'bench', 'results', 'replication-latest.json'), json);
    updateBenchmarksFile(
      join(ROOT, 'BENCHMARKS.md'),
      '## bench:replication',
      markdown(results, { date, machine, file }),
    );
    console.log(`results in ${file} and BENCHMARKS.md`);
  } finally {
    meridian(dir, 'down');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
