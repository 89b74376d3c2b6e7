// npm run bench:consistency — what the consistency guarantees cost on the emulated WAN, against the
// physical floor measured in the same run (the regions' own probes, /v1/cluster rttMs): sync (majority)
// writes against the RTT to the region that completes the majority, with and without the nearest one
// partitioned away; writes forwarded to the primary against the RTT to it; session reads right after a
// write against the one-way delay of the replication they must wait for, with an eventual read as peer.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, request } from 'undici';
import type { DeploymentState } from '../src/control/deployment-state.ts';
import { updateBenchmarksFile } from './lib/benchmarks-md.ts';
import { flag, meridian, positiveFlag, ROOT } from './lib/cli.ts';
import { processCpuMs, selfCpuMs } from './lib/cpu-usage.ts';
import { runOpenLoop, type OpenLoopRun } from './lib/open-loop.ts';
import { bucketDelta, buckets, parsePromText, quantile, type Sample } from './lib/prom-text.ts';
import { loadAverage1m, machineInfo } from './lib/results.ts';
import { round, summarize } from './lib/stats.ts';
import { ycsbBodies } from './lib/ycsb.ts';

const USAGE =
  'usage: npm run bench:consistency -- [--duration 10] [--rate 50] [--base-port 23050] | --report bench/results/consistency-….json';
const DURATION_S = positiveFlag('duration', '10', USAGE);
/** Writes per second of each stream. */
const RATE = positiveFlag('rate', '50', USAGE);
/**
 * Below the ephemeral range (32768+). The other benches draw base ports from 20000 + 200k and use
 * base..base+8 and base+100..base+105; a base 50 past that grid can never overlap them.
 */
const BASE_PORT = positiveFlag('base-port', '23050', USAGE);
/** Each phase first runs this long at the same rate, unrecorded: connections open, caches warm. */
const WARMUP_S = 1;
const PRIMARY = 'us-east-1';
/** The region cut away from the primary in the partitioned sync phase: the nearest one. */
const PARTITIONED = 'eu-west-1';
/** Target for a sync write: p50 within 10 % + 5 ms of the floor. */
const SYNC_GOAL = { factor: 1.1, plusMs: 5 };
/** A session read "came back at once" when within this of the eventual read sent with it to the same region. */
const AT_ONCE_MS = 5;
const MAX_IN_FLIGHT = 500;

interface Latency {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

interface Answer {
  readonly ms: number;
  /** 0 when no answer came (connection error). */
  readonly status: number;
  readonly header: (name: string) => string | undefined;
  readonly text: string;
}

interface Load {
  readonly late: OpenLoopRun['lateMs'];
  /** CPU over wall time per process, % of one core (the machine has two). */
  readonly cpuPercent: Record<string, number>;
}

interface SyncResult {
  readonly name: string;
  readonly partitioned: readonly [string, string] | null;
  readonly sent: number;
  readonly ok: number;
  readonly outcomeUnknown: number;
  readonly otherErrors: number;
  readonly errorSamples: string[];
  readonly latencyMs: Latency;
  readonly ackNeeded: number;
  /** The region whose acknowledgement completes the majority: the nearest reachable peer. */
  readonly floorRegion: string;
  readonly floorRttMs: number;
  /** The WAN emulator's configured RTT for the same pair: the probes' floor less their own overhead. */
  readonly floorNominalRttMs: number;
  readonly p50OverFloor: number;
  readonly p50OverNominal: number;
  readonly p50MinusFloorMs: number;
  readonly p99OverFloor: number;
  readonly goalMs: number;
  readonly met: boolean;
  /** Commit at the primary to apply at the floor region (its metrics): the outbound half of the wait. */
  readonly outboundApplyLagMs: { p50: number | null; p99: number | null };
  readonly load: Load;
}

interface ForwardStream {
  readonly sentTo: string;
  readonly sent: number;
  readonly ok: number;
  readonly errors: number;
  readonly errorSamples: string[];
  /** Answers whose forwarding did not match expectations (header missing, or present on a direct write). */
  readonly misrouted: number;
  readonly latencyMs: Latency;
  /** The sending region's measured RTT to the primary; null for the direct baseline. */
  readonly rttToPrimaryMs: number | null;
  readonly nominalRttMs: number | null;
  readonly p50OverRtt: number | null;
  readonly p50MinusRttMs: number | null;
  /** p50 − RTT − the direct baseline's p50: what forwarding costs beyond the trip and the write itself. */
  readonly p50MinusRttMinusDirectMs: number | null;
}

interface ForwardResult {
  readonly streams: ForwardStream[];
  readonly load: Load;
}

interface SessionRegion {
  readonly region: string;
  readonly rttFromPrimaryMs: number;
  readonly oneWayMs: number;
  readonly nominalOneWayMs: number;
  readonly session: {
    readonly reads: number;
    readonly violations: number;
    readonly violationSamples: string[];
    readonly latencyMs: Latency;
    readonly atOnce: number;
    readonly waited: number;
    readonly forwarded: number;
    readonly atOnceShare: number;
    readonly waitedShare: number;
    readonly forwardedShare: number;
    readonly p50OverOneWay: number;
    readonly p50MinusOneWayMs: number;
    /** Of the reads that waited (not forwarded): their latency against the one-way delay. */
    readonly waitedLatencyMs: Latency;
  };
  readonly eventual: {
    readonly reads: number;
    readonly stale: number;
    /** Of the stale reads, those that found no document yet (404; every key is written once). */
    readonly notFound: number;
    readonly staleShare: number;
    readonly errors: number;
    readonly latencyMs: Latency;
  };
  /** Commit at the primary to apply here (this region's metrics), over the phase. */
  readonly applyLagMs: { p50: number | null; p99: number | null };
}

interface SessionResult {
  readonly writes: {
    readonly sent: number;
    readonly ok: number;
    readonly errors: number;
    readonly errorSamples: string[];
    readonly latencyMs: Latency;
  };
  readonly regions: SessionRegion[];
  readonly load: Load;
}

function latency(values: readonly number[]): Latency {
  const s = summarize(values);
  return {
    count: values.length,
    p50: round(s.p50),
    p90: round(s.p90),
    p99: round(s.p99),
    max: round(s.max),
    mean: round(s.mean),
  };
}

async function call(
  pool: Pool,
  method: 'GET' | 'PUT',
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const t0 = performance.now();
  try {
    const res = await pool.request({
      method,
      path,
      body,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    const ms = performance.now() - t0;
    const header = (name: string) => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    return { ms, status: res.statusCode, header, text };
  } catch (err) {
    return { ms: performance.now() - t0, status: 0, header: () => undefined, text: (err as Error).message };
  }
}

const unquote = (etag: string | undefined) => etag?.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');

function errorCode(answer: Answer): string {
  try {
    return (JSON.parse(answer.text) as { error?: { code?: string } }).error?.code ?? '';
  } catch {
    return '';
  }
}

function pushSample(samples: string[], text: string): void {
  if (samples.length < 5) samples.push(text.slice(0, 300));
}

// --- the physical floor: RTTs the regions measure themselves ------------------------------------------

interface ClusterView {
  readonly peers: ReadonlyArray<{ name: string; rttMs: number | null; healthy: boolean }>;
}

async function clusterView(url: string): Promise<ClusterView> {
  const res = await request(`${url}/v1/cluster`, { headersTimeout: 5000, bodyTimeout: 5000 });
  return (await res.body.json()) as ClusterView;
}

/** Samples every region's /v1/cluster once a second; stop() gives the median rttMs per 'from->to'. */
function sampleRtts(state: DeploymentState): { stop(): Promise<Map<string, number>> } {
  const samples = new Map<string, number[]>();
  let running = true;
  const take = async () => {
    await Promise.all(
      state.regions.map(async (r) => {
        try {
          for (const p of (await clusterView(r.url)).peers) {
            if (!p.healthy || p.rttMs === null) continue;
            const k = `${r.name}->${p.name}`;
            samples.set(k, [...(samples.get(k) ?? []), p.rttMs]);
          }
        } catch {
          // A sample missed: the others count.
        }
      }),
    );
  };
  const loop = (async () => {
    while (running) {
      await take();
      await sleep(1000);
    }
    await take();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return new Map([...samples].map(([k, v]) => [k, summarize(v).p50]));
    },
  };
}

async function waitHealthy(state: DeploymentState, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const views = await Promise.all(state.regions.map((r) => clusterView(r.url).catch(() => undefined)));
    const ok = views.every(
      (v) =>
        v !== undefined &&
        v.peers.length === state.regions.length - 1 &&
        v.peers.every((p) => p.healthy && p.rttMs !== null),
    );
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`regions not all healthy within ${timeoutMs} ms`);
    await sleep(250);
  }
}

// --- metrics and CPU around a phase ------------------------------------------------------------------

async function scrape(url: string): Promise<Sample[]> {
  const res = await request(`${url}/metrics`);
  return parsePromText(await res.body.text());
}

/** Apply lag at `at` for changes originated by `origin`, between two scrapes, in ms. */
function applyLag(before: Sample[], after: Sample[], origin: string) {
  const name = 'meridian_replication_apply_lag_seconds';
  const delta = bucketDelta(buckets(after, name, { origin }), buckets(before, name, { origin }));
  const q = (p: number) => {
    const v = quantile(delta, p);
    return v === undefined ? null : round(v * 1000, 1);
  };
  return { p50: q(0.5), p99: q(0.99) };
}

function cpuMeter(state: DeploymentState): () => Record<string, number> {
  const procs = [
    ...state.regions.map((r) => ({ name: r.name, pid: r.pid })),
    { name: 'wan', pid: state.wan.pid },
  ];
  const t0 = performance.now();
  const before = procs.map((p) => (p.pid === null ? undefined : processCpuMs(p.pid)));
  const self0 = selfCpuMs();
  return () => {
    const wall = performance.now() - t0;
    const out: Record<string, number> = {};
    procs.forEach((p, i) => {
      const now = p.pid === null ? undefined : processCpuMs(p.pid);
      const was = before[i];
      if (now !== undefined && was !== undefined) out[p.name] = round((100 * (now - was)) / wall, 0);
    });
    out['load generator'] = round((100 * (selfCpuMs() - self0)) / wall, 0);
    return out;
  };
}

/** A warm-up at the same rate (unrecorded), then the measured open loop with CPU accounting. */
async function phase(
  state: DeploymentState,
  send: (index: number, recorded: boolean) => Promise<void>,
  beforeMeasured?: () => Promise<void>,
): Promise<{ run: OpenLoopRun; cpuPercent: Record<string, number> }> {
  const base = { ratePerSec: RATE, maxInFlight: MAX_IN_FLIGHT };
  await runOpenLoop({ ...base, durationMs: WARMUP_S * 1000, send: (i) => send(i, false) });
  await beforeMeasured?.();
  const cpu = cpuMeter(state);
  const run = await runOpenLoop({ ...base, durationMs: DURATION_S * 1000, send: (i) => send(i, true) });
  return { run, cpuPercent: cpu() };
}

function urlOf(state: DeploymentState, region: string): string {
  const r = state.regions.find((x) => x.name === region);
  if (!r) throw new Error(`no region ${region} in the deployment`);
  return r.url;
}

// --- 1. sync writes --------------------------------------------------------------------------------

async function syncWrites(
  state: DeploymentState,
  nominal: Readonly<Record<string, number>>,
  bodies: readonly string[],
  runId: string,
  partitioned: readonly [string, string] | null,
): Promise<{ result: SyncResult; lastKey: string | undefined; lastVersion: string | undefined }> {
  const pool = new Pool(urlOf(state, PRIMARY), { connections: 128 });
  const name = partitioned ? 'sync-majority-partitioned' : 'sync-majority';
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let ok = 0;
  let outcomeUnknown = 0;
  let otherErrors = 0;
  let lastKey: string | undefined;
  let lastVersion: string | undefined;
  let lastIndex = -1;
  const rtts = sampleRtts(state);
  const floorUrl = (r: string) => urlOf(state, r);
  const peers = state.regions.map((r) => r.name).filter((r) => r !== PRIMARY);
  let metricsBefore: Sample[][] = [];
  const { run, cpuPercent } = await phase(
    state,
    async (i, recorded) => {
      const key = `${runId}-${name}-${recorded ? 'm' : 'w'}${i}`;
      const a = await call(
        pool,
        'PUT',
        `/v1/collections/accounts/docs/${key}`,
        {},
        bodies[i % bodies.length],
      );
      if (!recorded) return;
      if (a.status === 200) {
        ok++;
        latencies.push(a.ms);
        if (a.header('x-meridian-forwarded-to') !== undefined || a.header('x-meridian-region') !== PRIMARY) {
          otherErrors++;
          pushSample(errorSamples, `${key}: served by ${a.header('x-meridian-region')}, forwarded`);
        }
        if (i > lastIndex) {
          lastIndex = i;
          lastKey = key;
          lastVersion = (JSON.parse(a.text) as { version: string }).version;
        }
      } else if (a.status === 503 && errorCode(a) === 'outcome_unknown') {
        outcomeUnknown++;
        pushSample(errorSamples, `${key}: ${a.status} ${a.text}`);
      } else {
        otherErrors++;
        pushSample(errorSamples, `${key}: ${a.status} ${a.text}`);
      }
    },
    async () => {
      metricsBefore = await Promise.all(peers.map((p) => scrape(floorUrl(p))));
    },
  );
  const metricsAfter = await Promise.all(peers.map((p) => scrape(floorUrl(p))));
  const rtt = await rtts.stop();
  await pool.close();

  const needed = Math.floor(state.regions.length / 2) + 1;
  const reachable = peers
    .filter((p) => !partitioned || !(partitioned.includes(p) && partitioned.includes(PRIMARY)))
    .map((p) => ({ p, rtt: rtt.get(`${PRIMARY}->${p}`) ?? NaN }))
    .sort((a, b) => a.rtt - b.rtt);
  const floor = reachable[needed - 2] ?? { p: 'none', rtt: NaN };
  const lat = latency(latencies);
  const goalMs = round(SYNC_GOAL.factor * floor.rtt + SYNC_GOAL.plusMs, 1);
  const fi = peers.indexOf(floor.p);
  const floorNominal = nominal[`${PRIMARY}->${floor.p}`] ?? NaN;
  return {
    lastKey,
    lastVersion,
    result: {
      name,
      partitioned,
      sent: run.sent,
      ok,
      outcomeUnknown,
      otherErrors,
      errorSamples,
      latencyMs: lat,
      ackNeeded: needed,
      floorRegion: floor.p,
      floorRttMs: round(floor.rtt, 1),
      floorNominalRttMs: round(floorNominal, 1),
      p50OverFloor: round(lat.p50 / floor.rtt, 3),
      p50OverNominal: round(lat.p50 / floorNominal, 3),
      p50MinusFloorMs: round(lat.p50 - floor.rtt, 1),
      p99OverFloor: round(lat.p99 / floor.rtt, 3),
      goalMs,
      met: lat.p50 <= goalMs,
      outboundApplyLagMs:
        fi >= 0 ? applyLag(metricsBefore[fi]!, metricsAfter[fi]!, PRIMARY) : { p50: null, p99: null },
      load: { late: roundLate(run), cpuPercent },
    },
  };
}

function roundLate(run: OpenLoopRun): OpenLoopRun['lateMs'] {
  return { p99: round(run.lateMs.p99), max: round(run.lateMs.max) };
}

// --- 2. forwarded writes ---------------------------------------------------------------------------

async function forwardedWrites(
  state: DeploymentState,
  nominal: Readonly<Record<string, number>>,
  bodies: readonly string[],
  runId: string,
): Promise<ForwardResult> {
  const senders = [PRIMARY, ...state.regions.map((r) => r.name).filter((r) => r !== PRIMARY)];
  const pools = new Map(senders.map((r) => [r, new Pool(urlOf(state, r), { connections: 64 })]));
  const acc = new Map(
    senders.map((r) => [
      r,
      { latencies: [] as number[], ok: 0, errors: 0, misrouted: 0, samples: [] as string[] },
    ]),
  );
  const rtts = sampleRtts(state);
  // The three streams run side by side, each at RATE: the direct one is the peer of the forwarded ones.
  const { run, cpuPercent } = await phase(state, async (i, recorded) => {
    await Promise.all(
      senders.map(async (sender) => {
        const key = `${runId}-fwd-${sender}-${recorded ? 'm' : 'w'}${i}`;
        const a = await call(
          pools.get(sender)!,
          'PUT',
          `/v1/collections/orders/docs/${key}`,
          {},
          bodies[i % bodies.length],
        );
        if (!recorded) return;
        const s = acc.get(sender)!;
        if (a.status !== 200) {
          s.errors++;
          pushSample(s.samples, `${key}: ${a.status} ${a.text}`);
          return;
        }
        s.ok++;
        s.latencies.push(a.ms);
        const forwardedTo = a.header('x-meridian-forwarded-to');
        const expected = sender === PRIMARY ? undefined : PRIMARY;
        if (forwardedTo !== expected || a.header('x-meridian-region') !== PRIMARY) {
          s.misrouted++;
          pushSample(
            s.samples,
            `${key}: forwarded-to ${forwardedTo}, region ${a.header('x-meridian-region')}`,
          );
        }
      }),
    );
  });
  const rtt = await rtts.stop();
  await Promise.all([...pools.values()].map((p) => p.close()));
  const direct = latency(acc.get(PRIMARY)!.latencies);
  const streams = senders.map((sender): ForwardStream => {
    const s = acc.get(sender)!;
    const lat = latency(s.latencies);
    const r = sender === PRIMARY ? null : (rtt.get(`${sender}->${PRIMARY}`) ?? NaN);
    return {
      sentTo: sender,
      sent: run.sent,
      ok: s.ok,
      errors: s.errors,
      errorSamples: s.samples,
      misrouted: s.misrouted,
      latencyMs: lat,
      rttToPrimaryMs: r === null ? null : round(r, 1),
      nominalRttMs: r === null ? null : round(nominal[`${sender}->${PRIMARY}`] ?? NaN, 1),
      p50OverRtt: r === null ? null : round(lat.p50 / r, 3),
      p50MinusRttMs: r === null ? null : round(lat.p50 - r, 1),
      p50MinusRttMinusDirectMs: r === null ? null : round(lat.p50 - r - direct.p50, 1),
    };
  });
  return { streams, load: { late: roundLate(run), cpuPercent } };
}

// --- 3. session reads right after a write -----------------------------------------------------------

async function sessionReads(
  state: DeploymentState,
  nominal: Readonly<Record<string, number>>,
  bodies: readonly string[],
  runId: string,
): Promise<SessionResult> {
  const readers = state.regions
    .map((r) => r.name)
    .filter((r) => r !== PRIMARY)
    .sort();
  const writer = new Pool(urlOf(state, PRIMARY), { connections: 64 });
  const pools = new Map(readers.map((r) => [r, new Pool(urlOf(state, r), { connections: 128 })]));
  const writeLat: number[] = [];
  const writeSamples: string[] = [];
  let writesOk = 0;
  let writeErrors = 0;
  type Acc = {
    session: number[];
    waitedOnly: number[];
    eventual: number[];
    reads: number;
    violations: number;
    violationSamples: string[];
    atOnce: number;
    waited: number;
    forwarded: number;
    eventualReads: number;
    stale: number;
    notFound: number;
    eventualErrors: number;
  };
  const acc = new Map<string, Acc>(
    readers.map((r) => [
      r,
      {
        session: [],
        waitedOnly: [],
        eventual: [],
        reads: 0,
        violations: 0,
        violationSamples: [],
        atOnce: 0,
        waited: 0,
        forwarded: 0,
        eventualReads: 0,
        stale: 0,
        notFound: 0,
        eventualErrors: 0,
      },
    ]),
  );
  const rtts = sampleRtts(state);
  let before: Sample[][] = [];
  const { run, cpuPercent } = await phase(
    state,
    async (i, recorded) => {
      const key = `${runId}-sess-${recorded ? 'm' : 'w'}${i}`;
      const path = `/v1/collections/profiles/docs/${key}`;
      const w = await call(writer, 'PUT', path, {}, bodies[i % bodies.length]);
      const token = w.header('x-meridian-session');
      if (w.status !== 200 || token === undefined) {
        if (recorded) {
          writeErrors++;
          pushSample(writeSamples, `${key}: ${w.status} ${w.text}`);
        }
        return;
      }
      const version = (JSON.parse(w.text) as { version: string }).version;
      if (recorded) {
        writesOk++;
        writeLat.push(w.ms);
      }
      // At once, to every other region: the session read with the write's token, and an eventual read.
      await Promise.all(
        readers.map(async (region) => {
          const pool = pools.get(region)!;
          const [s, e] = await Promise.all([
            call(pool, 'GET', path, { 'x-meridian-session': token }),
            call(pool, 'GET', path),
          ]);
          if (!recorded) return;
          const a = acc.get(region)!;
          a.reads++;
          a.session.push(s.ms);
          const got = unquote(s.header('etag'));
          if (s.status !== 200 || got !== version) {
            a.violations++;
            pushSample(
              a.violationSamples,
              `${key}: wrote ${version}, session read ${s.status} ${got ?? s.text}`,
            );
          }
          if (s.header('x-meridian-forwarded-to') !== undefined) a.forwarded++;
          else if (s.ms - e.ms <= AT_ONCE_MS) a.atOnce++;
          else {
            a.waited++;
            a.waitedOnly.push(s.ms);
          }
          a.eventualReads++;
          a.eventual.push(e.ms);
          if (e.status === 200 && unquote(e.header('etag')) === version) return;
          if (e.status === 200 || e.status === 404) a.stale++;
          else a.eventualErrors++;
          if (e.status === 404) a.notFound++;
        }),
      );
    },
    async () => {
      before = await Promise.all(readers.map((r) => scrape(urlOf(state, r))));
    },
  );
  const after = await Promise.all(readers.map((r) => scrape(urlOf(state, r))));
  const rtt = await rtts.stop();
  await Promise.all([writer.close(), ...[...pools.values()].map((p) => p.close())]);
  const share = (n: number, of: number) => round(n / Math.max(1, of), 3);
  return {
    writes: {
      sent: run.sent,
      ok: writesOk,
      errors: writeErrors,
      errorSamples: writeSamples,
      latencyMs: latency(writeLat),
    },
    regions: readers.map((region, ri): SessionRegion => {
      const a = acc.get(region)!;
      const rttMs = rtt.get(`${PRIMARY}->${region}`) ?? NaN;
      const oneWay = rttMs / 2;
      const lat = latency(a.session);
      return {
        region,
        rttFromPrimaryMs: round(rttMs, 1),
        oneWayMs: round(oneWay, 1),
        nominalOneWayMs: round((nominal[`${PRIMARY}->${region}`] ?? NaN) / 2, 1),
        session: {
          reads: a.reads,
          violations: a.violations,
          violationSamples: a.violationSamples,
          latencyMs: lat,
          atOnce: a.atOnce,
          waited: a.waited,
          forwarded: a.forwarded,
          atOnceShare: share(a.atOnce, a.reads),
          waitedShare: share(a.waited, a.reads),
          forwardedShare: share(a.forwarded, a.reads),
          p50OverOneWay: round(lat.p50 / oneWay, 3),
          p50MinusOneWayMs: round(lat.p50 - oneWay, 1),
          waitedLatencyMs: latency(a.waitedOnly),
        },
        eventual: {
          reads: a.eventualReads,
          stale: a.stale,
          notFound: a.notFound,
          staleShare: share(a.stale, a.eventualReads),
          errors: a.eventualErrors,
          latencyMs: latency(a.eventual),
        },
        applyLagMs: applyLag(before[ri]!, after[ri]!, PRIMARY),
      };
    }),
    load: { late: roundLate(run), cpuPercent },
  };
}

/** After the heal: how long until the cut-off region has the last write made while it was cut off. */
async function catchUpMs(
  url: string,
  key: string,
  version: string,
  timeoutMs = 20_000,
): Promise<number | null> {
  const pool = new Pool(url, { connections: 1 });
  const t0 = performance.now();
  try {
    while (performance.now() - t0 < timeoutMs) {
      const a = await call(pool, 'GET', `/v1/collections/accounts/docs/${key}`);
      if (a.status === 200 && unquote(a.header('etag')) === version) return round(performance.now() - t0, 0);
      await sleep(20);
    }
    return null;
  } finally {
    await pool.close();
  }
}

// --- report ------------------------------------------------------------------------------------------

interface Results {
  readonly benchmark: 'bench:consistency';
  readonly date: string;
  readonly machine: ReturnType<typeof machineInfo>;
  readonly settings: {
    durationS: number;
    warmupS: number;
    ratePerStream: number;
    basePort: number;
    atOnceMs: number;
    syncGoal: string;
  };
  /** The WAN emulator's configured RTTs (the regions' probes measure the real ones, used as floors). */
  readonly wanNominalRttMs: Record<string, number>;
  readonly sync: SyncResult[];
  readonly forwarded: ForwardResult;
  readonly session: SessionResult;
  readonly partitionHeal: {
    readonly region: string;
    /** How long `meridian chaos heal` ran (mostly its own start-up); the link heals inside it. */
    readonly healCommandMs: number;
    /** From the heal command's return until the cut-off region had the last write made meanwhile. */
    readonly catchUpMs: number | null;
  };
  readonly valid: boolean;
  readonly notes: string[];
}

const fmt = (l: Latency, keys: ReadonlyArray<keyof Latency> = ['p50', 'p90', 'p99']) =>
  keys.map((k) => l[k]).join(' / ');
const pct = (share: number) => `${round(share * 100, 1)} %`;

function markdown(r: Results, file: string): string {
  const m = r.machine;
  const [apOrFirst] = r.session.regions;
  const lines = [
    '## bench:consistency',
    '',
    `The three demo regions (\`meridian up\`, SQLite stores) on the emulated WAN, each stream an open loop at ${r.settings.ratePerStream} requests/s (${r.settings.warmupS} s unrecorded warm-up, then ${r.settings.durationS} s measured), ~1 KB YCSB-like documents. Every figure is read against the physical floor measured in the same run: the RTT the regions' own probes see through the WAN (\`/v1/cluster\` \`peers[].rttMs\`, median of the samples taken during the phase). Load generator, 3 regions and the WAN emulator share the ${m.cpuCount} cores.`,
    '',
    ...(r.valid
      ? []
      : ['> **WARNING: requests failed or session reads were violated: see the notes below.**', '']),
    `- **Run:** ${r.date}; ${r.settings.durationS} s per phase`,
    `- **Machine:** ${m.cpuModel} × ${m.cpuCount}, ${round(m.totalMemoryBytes / 2 ** 30, 1)} GiB, Node ${m.node}; load average ${m.loadAverage1m.atStart} at start, ${m.loadAverage1m.atEnd} at end`,
    '',
    `**Sync writes** (\`accounts\`, ack majority = ${r.sync[0]?.ackNeeded ?? 2} of 3, PUT at ${PRIMARY}). Floor: the RTT from ${PRIMARY} to the nearest region that completes the majority. Target: p50 ≤ ${r.settings.syncGoal}.`,
    '',
    '| case | floor ms (RTT to; configured) | ok / sent | outcome_unknown | p50 / p90 / p99 ms | p50 ÷ floor | p50 − floor ms | p99 ÷ floor | goal ms | result |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.sync.map(
      (s) =>
        `| ${s.partitioned ? `${s.partitioned.join(' ✂ ')} partitioned` : 'all links up'} | ${s.floorRttMs} (${s.floorRegion}; ${s.floorNominalRttMs}) | ${s.ok} / ${s.sent} | ${s.outcomeUnknown} | ${fmt(s.latencyMs)} | **${s.p50OverFloor}** | ${s.p50MinusFloorMs} | ${s.p99OverFloor} | ${s.goalMs} | ${s.met ? 'met' : '**NOT MET**'} |`,
    ),
    '',
    ...r.sync.map(
      (s) =>
        `- ${s.partitioned ? 'Partitioned' : 'All links up'}: the write reaches ${s.floorRegion} in ${s.outboundApplyLagMs.p50 ?? 'n/a'} ms p50 (its apply lag from ${PRIMARY}, one-way ${round(s.floorRttMs / 2, 1)} ms); the remaining ${s.outboundApplyLagMs.p50 === null ? 'n/a' : round(s.latencyMs.p50 - s.outboundApplyLagMs.p50, 1)} ms of the p50 are the acknowledgement's way back, the local commit and the client's HTTP exchange.`,
    ),
    ...(r.partitionHeal.catchUpMs === null
      ? []
      : [
          `- After the heal, ${r.partitionHeal.region} had the last write made while it was cut off ${r.partitionHeal.catchUpMs} ms after \`meridian chaos heal\` returned (the command took ${r.partitionHeal.healCommandMs} ms, mostly its start-up).`,
        ]),
    '',
    `**Forwarded writes** (\`orders\`, active-passive, async; standbys forward to ${PRIMARY}); the three streams run side by side, the direct one is the baseline.`,
    '',
    '| sent to | RTT to primary ms (configured) | ok / sent | p50 / p90 / p99 ms | p50 ÷ RTT | p50 − RTT ms | p50 − RTT − direct p50 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.forwarded.streams.map(
      (s) =>
        `| ${s.sentTo}${s.rttToPrimaryMs === null ? ' (direct)' : ''} | ${s.rttToPrimaryMs === null ? '—' : `${s.rttToPrimaryMs} (${s.nominalRttMs})`} | ${s.ok} / ${s.sent} | ${fmt(s.latencyMs)} | ${s.p50OverRtt === null ? '—' : `**${s.p50OverRtt}**`} | ${s.p50MinusRttMs ?? '—'} | ${s.p50MinusRttMinusDirectMs ?? '—'} |`,
    ),
    '',
    `**Session reads right after a write** (\`profiles\`, active-active, async): PUT at ${PRIMARY} (p50 ${r.session.writes.latencyMs.p50} ms), then at once, in every other region, a GET with the write's session token and an eventual GET without. Floor: the one-way delay ${PRIMARY} → region (RTT ÷ 2). "At once": within ${r.settings.atOnceMs} ms of the eventual read sent with it; "forwarded": not caught up within \`sessionWait\` (1000 ms).`,
    '',
    '| read at | one-way ms (configured) | reads | p50 / p90 / p99 / max ms | p50 ÷ one-way | p50 − one-way ms | at once / waited / forwarded | wrong version | apply lag p50 / p99 ms | eventual reads stale |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.session.regions.map(
      (g) =>
        `| ${g.region} | ${g.oneWayMs} (${g.nominalOneWayMs}) | ${g.session.reads} | ${fmt(g.session.latencyMs, ['p50', 'p90', 'p99', 'max'])} | **${g.session.p50OverOneWay}** | ${g.session.p50MinusOneWayMs} | ${pct(g.session.atOnceShare)} / ${pct(g.session.waitedShare)} / ${pct(g.session.forwardedShare)} | ${g.session.violations} | ${g.applyLagMs.p50 ?? 'n/a'} / ${g.applyLagMs.p99 ?? 'n/a'} | ${pct(g.eventual.staleShare)} (${g.eventual.stale} of ${g.eventual.reads}; ${g.eventual.notFound} not found yet) |`,
    ),
    '',
    apOrFirst
      ? `Session reads that returned another version than the one just written: ${r.session.regions.reduce((a, g) => a + g.session.violations, 0)} (must be 0). The eventual read, sent at the same moment, answers in ${fmt(apOrFirst.eventual.latencyMs, ['p50', 'p99'])} ms p50 / p99 at ${apOrFirst.region}.`
      : '',
    '',
    ...whereTimeGoes(r).flatMap((line) => [line, '']),
    ...r.notes.map((n) => `- ${n}`),
    ...(r.notes.length > 0 ? [''] : []),
    `Full figures: \`${file}\`.`,
  ];
  return lines.join('\n');
}

/** Sentences read off the figures: how far the probes' floor is from the emulator, and the linger. */
function whereTimeGoes(r: Results): string[] {
  const out: string[] = [];
  const [s] = r.sync;
  if (s) {
    out.push(
      `The floors are the regions' probe RTTs, ${round(s.floorRttMs - s.floorNominalRttMs, 1)} ms above the emulator's configured ${s.floorNominalRttMs} ms for ${PRIMARY} ↔ ${s.floorRegion} (HTTP handling, timer and event-loop delays in the emulator and the regions on shared cores); against the configured RTT the sync p50 is ${s.p50OverNominal}×.`,
    );
  }
  const same = s ? r.session.regions.find((g) => g.region === s.floorRegion) : undefined;
  if (s && same && s.outboundApplyLagMs.p50 !== null && same.applyLagMs.p50 !== null) {
    out.push(
      `A session read comes back when its region has applied the write: its p50 is within ${round(Math.abs(same.session.latencyMs.p50 - same.applyLagMs.p50), 1)} ms of the apply lag at ${same.region}. That lag (${same.applyLagMs.p50} ms p50 for the async \`profiles\`) is ${round(same.applyLagMs.p50 - s.outboundApplyLagMs.p50, 1)} ms longer than for the sync writes on the same link (${s.outboundApplyLagMs.p50} ms), consistent with the sources' 5 ms batching linger, which they skip only while a sync write awaits acknowledgements.`,
    );
  }
  return out;
}

function notes(r: Omit<Results, 'notes' | 'valid'>): string[] {
  const out: string[] = [];
  for (const s of r.sync) {
    if (s.otherErrors > 0) out.push(`${s.name}: ${s.otherErrors} failed writes, e.g. ${s.errorSamples[0]}`);
    if (s.outcomeUnknown > 0) out.push(`${s.name}: ${s.outcomeUnknown} writes answered 503 outcome_unknown.`);
  }
  for (const s of r.forwarded.streams) {
    if (s.errors + s.misrouted > 0)
      out.push(
        `forwarded via ${s.sentTo}: ${s.errors} failed, ${s.misrouted} misrouted, e.g. ${s.errorSamples[0]}`,
      );
  }
  if (r.session.writes.errors > 0)
    out.push(
      `session phase: ${r.session.writes.errors} writes failed, e.g. ${r.session.writes.errorSamples[0]}`,
    );
  for (const g of r.session.regions) {
    if (g.session.violations > 0)
      out.push(
        `${g.region}: ${g.session.violations} session reads violated, e.g. ${g.session.violationSamples[0]}`,
      );
    if (g.eventual.errors > 0) out.push(`${g.region}: ${g.eventual.errors} eventual reads failed.`);
  }
  const below = [
    ...r.sync.filter((s) => s.p50OverFloor < 1).map((s) => `${s.name} (${s.p50OverFloor})`),
    ...r.forwarded.streams
      .filter((s) => s.p50OverRtt !== null && s.p50OverRtt < 1)
      .map((s) => `forwarded via ${s.sentTo} (${s.p50OverRtt})`),
  ];
  if (below.length > 0)
    out.push(
      `p50 below its floor: ${below.join(', ')}. Nothing beats the WAN: the probes' median RTT was inflated by delayed probes (busy event loops); read these against the configured RTT.`,
    );
  const late = [...r.sync.map((s) => s.load), r.forwarded.load, r.session.load].map((l) => l.late.max);
  if (Math.max(...late) > 20)
    out.push(
      `The load generator sent some requests up to ${round(Math.max(...late), 0)} ms late (the shared cores were busy).`,
    );
  return out;
}

/** `--report FILE`: re-renders the BENCHMARKS.md section from a results file, measuring nothing. */
function reportOnly(file: string): void {
  const saved = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Results;
  const results: Results = { ...saved, notes: notes(saved) };
  updateBenchmarksFile(join(ROOT, 'BENCHMARKS.md'), '## bench:consistency', markdown(results, file));
  console.log(`BENCHMARKS.md section re-rendered from ${file}`);
}

async function main(): Promise<void> {
  const loadAtStart = loadAverage1m();
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-consistency-'));
  const runId = `c${Date.now().toString(36)}`;
  console.log(`starting the demo deployment in ${dir} (base port ${BASE_PORT}) ...`);
  try {
    meridian(dir, 'up', '--detach', '--base-port', String(BASE_PORT));
    const state = JSON.parse(readFileSync(join(dir, '.meridian', 'state.json'), 'utf8')) as DeploymentState;
    await waitHealthy(state);
    const res = await request(`${state.wan.controlUrl}/links`);
    const { links } = (await res.body.json()) as {
      links: Array<{ from: string; to: string; rttMs: number }>;
    };
    const wanNominalRttMs = Object.fromEntries(links.map((l) => [`${l.from}->${l.to}`, l.rttMs]));
    const bodies = ycsbBodies(200, Math.random);

    console.log(`1. sync writes (accounts, ack majority) at ${PRIMARY}: ${RATE} w/s for ${DURATION_S} s ...`);
    const sync = [(await syncWrites(state, wanNominalRttMs, bodies, runId, null)).result];
    console.log(syncLine(sync[0]!));

    console.log(`2. forwarded writes (orders) via each region: ${RATE} w/s each for ${DURATION_S} s ...`);
    const forwarded = await forwardedWrites(state, wanNominalRttMs, bodies, runId);
    for (const s of forwarded.streams)
      console.log(
        `  via ${s.sentTo}: p50 ${s.latencyMs.p50} ms, RTT ${s.rttToPrimaryMs ?? '—'} ms, ÷ RTT ${s.p50OverRtt ?? '—'}, errors ${s.errors}, misrouted ${s.misrouted}`,
      );

    console.log(
      `3. session reads after writes (profiles) at ${PRIMARY}: ${RATE} w/s for ${DURATION_S} s ...`,
    );
    const session = await sessionReads(state, wanNominalRttMs, bodies, runId);
    for (const g of session.regions)
      console.log(
        `  ${g.region}: p50 ${g.session.latencyMs.p50} ms vs one-way ${g.oneWayMs} (÷ ${g.session.p50OverOneWay}), at once ${pct(g.session.atOnceShare)}, forwarded ${pct(g.session.forwardedShare)}, violations ${g.session.violations}; eventual stale ${pct(g.eventual.staleShare)}`,
      );

    // Last, so that no other phase runs on links that have just healed.
    console.log(`1b. sync writes with ${PRIMARY} <-> ${PARTITIONED} partitioned ...`);
    const cut = [PRIMARY, PARTITIONED] as const;
    meridian(dir, 'chaos', 'partition', ...cut);
    let partitioned: Awaited<ReturnType<typeof syncWrites>>;
    let healStarted = 0;
    try {
      partitioned = await syncWrites(state, wanNominalRttMs, bodies, runId, cut);
    } finally {
      healStarted = performance.now();
      meridian(dir, 'chaos', 'heal', ...cut);
    }
    const healCommandMs = round(performance.now() - healStarted, 0);
    sync.push(partitioned.result);
    console.log(syncLine(partitioned.result));
    const catchUp =
      partitioned.lastKey && partitioned.lastVersion
        ? await catchUpMs(urlOf(state, PARTITIONED), partitioned.lastKey, partitioned.lastVersion)
        : null;
    console.log(
      `  ${PARTITIONED} had the last write ${catchUp ?? 'n/a'} ms after \`chaos heal\` returned (the command took ${healCommandMs} ms)`,
    );

    const date = new Date().toISOString();
    const machine = machineInfo(loadAtStart);
    const partial = {
      benchmark: 'bench:consistency' as const,
      date,
      machine,
      settings: {
        durationS: DURATION_S,
        warmupS: WARMUP_S,
        ratePerStream: RATE,
        basePort: BASE_PORT,
        atOnceMs: AT_ONCE_MS,
        syncGoal: `${SYNC_GOAL.factor} × floor + ${SYNC_GOAL.plusMs} ms`,
      },
      wanNominalRttMs,
      sync,
      forwarded,
      session,
      partitionHeal: { region: PARTITIONED, healCommandMs, catchUpMs: catchUp },
    };
    const valid =
      sync.every((s) => s.otherErrors === 0) &&
      forwarded.streams.every((s) => s.errors === 0 && s.misrouted === 0) &&
      session.writes.errors === 0 &&
      session.regions.every((g) => g.session.violations === 0 && g.eventual.errors === 0);
    const results: Results = { ...partial, valid, notes: notes(partial) };
    for (const n of results.notes) console.log(`note: ${n}`);
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    const file = `bench/results/consistency-${date.replace(/[:.]/g, '-')}.json`;
    const json = JSON.stringify(results, null, 2) + '\n';
    writeFileSync(join(ROOT, file), json);
    writeFileSync(join(ROOT, 'bench', 'results', 'consistency-latest.json'), json);
    updateBenchmarksFile(join(ROOT, 'BENCHMARKS.md'), '## bench:consistency', markdown(results, file));
    console.log(`results in ${file} and BENCHMARKS.md`);
  } finally {
    // Whatever `up` started, even if it failed half-way.
    if (existsSync(join(dir, '.meridian', 'state.json'))) meridian(dir, 'down');
    rmSync(dir, { recursive: true, force: true });
  }
}

function syncLine(s: SyncResult): string {
  return `  p50 ${s.latencyMs.p50} / p99 ${s.latencyMs.p99} ms; floor ${s.floorRttMs} ms (RTT to ${s.floorRegion}); p50 ÷ floor ${s.p50OverFloor}; goal ${s.goalMs} ms ${s.met ? 'met' : 'NOT MET'}; ok ${s.ok}/${s.sent}, outcome_unknown ${s.outcomeUnknown}, errors ${s.otherErrors}`;
}

const reportFile = process.argv.includes('--report') ? flag('report', '') : '';
if (reportFile) reportOnly(reportFile);
else await main();
