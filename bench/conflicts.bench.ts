// npm run bench:conflicts — what conflict resolution costs. (1) The merge policies themselves, in this
// process, each against JSON.parse + JSON.stringify of the same two values (the floor of any state-based
// merge). (2) A real editing trace (259,778 edits) sent in batches to the three demo regions at once, against
// replaying it into a bare Y.Doc, and how long the regions take to converge on the final text. (3) Last-write-
// wins conflicts made under a partition: how long after the heal every region's ledger holds them all.

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { Pool, request } from 'undici';
import * as Y from 'yjs';
import { loadConfig } from '../src/config/load-config.ts';
import type { DeploymentState } from '../src/control/deployment-state.ts';
import type { JsonObject } from '../src/core/json.ts';
import { formatVersion } from '../src/core/version.ts';
import * as vector from '../src/conflict/vector-state.ts';
import * as crdt from '../src/crdt/index.ts';
import * as yjs from '../src/yjs/yjs-state.ts';
import { mergePolicyFor } from '../src/region/conflict-policies.ts';
import type { MergePolicy } from '../src/store/merge-policy.ts';
import type { Change, DocRecord } from '../src/store/store.ts';
import { createPrng } from '../src/sim/prng.ts';
import { CONFLICTS_CONFIG as CONFIG } from '../test/e2e/conflicts-config.ts';
import { updateBenchmarksFile } from './lib/benchmarks-md.ts';
import { flag, meridian, meridianAsync, positiveFlag, ROOT } from './lib/cli.ts';
import { processCpuMs, selfCpuMs } from './lib/cpu-usage.ts';
import { loadEditingTrace, replayIntoYDoc, type EditingTrace } from './lib/editing-trace.ts';
import { parsePromText, sum, type Sample } from './lib/prom-text.ts';
import { loadAverage1m, machineInfo } from './lib/results.ts';
import { round, summarize } from './lib/stats.ts';
import { ycsbRecord } from './lib/ycsb.ts';

const USAGE =
  'usage: npm run bench:conflicts -- [--batch 1000] [--keys 200] [--rounds 7] [--base-port 23250] | --report bench/results/conflicts-….json';
/** Below the ephemeral range, 50 past consistency's 23050 + 200k grid (see bench/consistency.bench.ts). */
const BASE_PORT = positiveFlag('base-port', '23250', USAGE);
/** Trace edits per Yjs update sent to a region. */
const BATCH = positiveFlag('batch', '5000', USAGE);
/** Keys written on both sides of the partition. */
const KEYS = positiveFlag('keys', '200', USAGE);
/** Timed rounds per merge policy (and as many of its JSON peer, interleaved); the median counts. */
const ROUNDS = positiveFlag('rounds', '7', USAGE);
const ROUND_MS = 200;
const WARMUP_MS = 300;
/** Distinct pairs per policy, cycled through. */
const PAIRS = 8;
const BARE_REPLAYS = 3;
const POLL_MS = 20;
const CONVERGE_TIMEOUT_MS = 90_000;
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-1'] as const;
const [US, EU, AP] = REGIONS;

/** The simulator's seeded PRNG: the same pairs in every run. */
function seeded(seed: number): () => number {
  const prng = createPrng(seed);
  return () => prng.next();
}

const median = (values: readonly number[]) => summarize(values).p50;

// --- 1. merge throughput per policy, in process ------------------------------------------------------

interface Pair {
  readonly current: DocRecord;
  readonly incoming: Change;
}

interface MergeCase {
  readonly policy: string;
  readonly collection: string;
  readonly description: string;
  readonly pairs: readonly Pair[];
}

interface MergeResult {
  readonly policy: string;
  readonly collection: string;
  readonly description: string;
  /** Mean JSON size of one value (current and incoming alike), bytes. */
  readonly valueBytes: number;
  /** What the policy did with the first pair: kept one side, or merged; and the rule it reported. */
  readonly outcome: string;
  readonly conflictRule: string | null;
  readonly mergedBytes: number | null;
  readonly mergesPerSec: number;
  readonly usPerMerge: number;
  readonly roundsPerSec: number[];
  /** The peer: JSON.parse of both values' text, then JSON.stringify of both. */
  readonly jsonFloor: {
    readonly pairsPerSec: number;
    readonly usPerPair: number;
    readonly roundsPerSec: number[];
  };
  /** µs per merge ÷ µs per JSON round trip of the same pair. */
  readonly overJsonFloor: number;
}

const T0 = Date.UTC(2026, 0, 1);
const ver = (ms: number, region: string) => formatVersion({ wall: ms, counter: 0 }, region);

function record(collection: string, key: string, value: JsonObject, at: number, origin: string): DocRecord {
  return { collection, key, value, version: ver(at, origin), origin, originSeq: 1 };
}

/** A pair written concurrently: `base` undefined, so every policy sees them as concurrent. */
function pair(collection: string, key: string, a: JsonObject, b: JsonObject, at: number): Pair {
  return { current: record(collection, key, a, at, US), incoming: record(collection, key, b, at + 7, EU) };
}

function lwwCase(): MergeCase {
  const rnd = seeded(1);
  return {
    policy: 'lww',
    collection: 'profiles',
    description: 'two ~1 KB YCSB-like documents',
    pairs: Array.from({ length: PAIRS }, (_, i) =>
      pair('profiles', `user${i}`, ycsbRecord(rnd), ycsbRecord(rnd), T0 + i * 100),
    ),
  };
}

function vectorCase(): MergeCase {
  const rnd = seeded(2);
  const pairs = Array.from({ length: PAIRS }, (_, i): Pair => {
    // One write everywhere, then each region overwrites it (with the context of its read), concurrently.
    const s0 = vector.write(undefined, undefined, ycsbRecord(rnd), US);
    const ctx = vector.read(s0).context;
    const us = vector.write(s0, ctx, ycsbRecord(rnd), US);
    const eu = vector.write(s0, ctx, ycsbRecord(rnd), EU);
    const ap = vector.write(s0, ctx, ycsbRecord(rnd), AP);
    // Two siblings each side, one in common: [eu:1, us:2] meets [ap:1, eu:1].
    return pair('carts', `cart${i}`, vector.merge(us, eu), vector.merge(eu, ap), T0 + i * 100);
  });
  return {
    policy: 'vector',
    collection: 'carts',
    description: 'states of 2 siblings (~1 KB each) per side, one in common',
    pairs,
  };
}

function crdtCase(): MergeCase {
  const pairs = Array.from({ length: PAIRS }, (_, i): Pair => {
    const at = T0 + i * 100;
    const base = crdt.applyOps(
      crdt.emptyDocument(),
      crdt.validateOps([
        { op: 'increment', path: ['count'], by: 40 + i },
        ...Array.from({ length: 100 }, (_, j) => ({
          op: 'add' as const,
          path: ['tags'],
          value: `tag-${i}-${j}`,
        })),
        { op: 'set', path: ['name'], value: `Ada Lovelace ${i}` },
        { op: 'set', path: ['email'], value: `ada${i}@example.com` },
        { op: 'set', path: ['plan'], value: 'pro' },
        {
          op: 'set',
          path: ['address'],
          value: { city: 'London', street: '12 St James Sq', zip: 'SW1Y 4JH' },
        },
      ]),
      { replica: US, timestamp: ver(at, US) },
    );
    // Each replica changes its copy of the same base: counter, set and registers, concurrently.
    const a = crdt.applyOps(
      base,
      crdt.validateOps([
        { op: 'increment', path: ['count'] },
        { op: 'add', path: ['tags'], value: `us-${i}` },
        { op: 'remove', path: ['tags'], value: `tag-${i}-0` },
        { op: 'set', path: ['name'], value: `Ada King ${i}` },
      ]),
      { replica: US, timestamp: ver(at + 1, US) },
    );
    const b = crdt.applyOps(
      base,
      crdt.validateOps([
        { op: 'increment', path: ['count'], by: 2 },
        { op: 'add', path: ['tags'], value: `eu-${i}` },
        { op: 'remove', path: ['tags'], value: `tag-${i}-1` },
        { op: 'set', path: ['plan'], value: 'team' },
      ]),
      { replica: EU, timestamp: ver(at + 2, EU) },
    );
    return {
      current: record('stats', `doc${i}`, crdt.encode(a), at + 1, US),
      incoming: record('stats', `doc${i}`, crdt.encode(b), at + 2, EU),
    };
  });
  return {
    policy: 'crdt',
    collection: 'stats',
    description: 'a counter, a 100-element set and 4 registers, changed at two replicas',
    pairs,
  };
}

const yjsValue = (doc: Y.Doc): JsonObject => ({
  yjs: Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64'),
});

function yjsCase(trace: EditingTrace): MergeCase {
  // The first ~5 KB of the paper as typed, then two replicas edit it concurrently: one keeps typing
  // (the trace's next 50 edits), the other inserts and deletes words at random places.
  const author = new Y.Doc();
  const text = author.getText('text');
  let n = 0;
  while (text.length < 5000 && n < trace.edits.length) {
    replayIntoYDoc(author, trace.edits, n, n + 1);
    n++;
  }
  const base = Y.encodeStateAsUpdate(author);
  const pairs = Array.from({ length: PAIRS }, (_, i): Pair => {
    const a = new Y.Doc();
    Y.applyUpdate(a, base);
    replayIntoYDoc(a, trace.edits, n, n + 50);
    const b = new Y.Doc();
    Y.applyUpdate(b, base);
    const rnd = seeded(100 + i);
    const t = b.getText('text');
    for (let e = 0; e < 50; e++) {
      const pos = Math.floor(rnd() * t.length);
      b.transact(() => {
        if (rnd() < 0.3 && pos + 3 < t.length) t.delete(pos, 1 + Math.floor(rnd() * 3));
        else t.insert(pos, ` word${e}`);
      });
    }
    return pair('notes', `note${i}`, yjsValue(a), yjsValue(b), T0 + i * 100);
  });
  return {
    policy: 'yjs',
    collection: 'notes',
    description: `two states of a ${text.length}-character text (the trace's first ${n} edits), 50 edits each side`,
    pairs,
  };
}

function resolverCase(): MergeCase {
  const pairs = Array.from({ length: PAIRS }, (_, i): Pair => {
    const words = Array.from({ length: 75 }, (_, j) => `item-${i}-${String(j).padStart(3, '0')}`);
    return pair('tags', `t${i}`, { items: words.slice(0, 50) }, { items: words.slice(25) }, T0 + i * 100);
  });
  return {
    policy: 'resolver',
    collection: 'tags',
    description: 'union of two 50-string arrays (25 in common), sorted: the application resolver',
    pairs,
  };
}

let sink = 0;

/** Warm-up, then ROUNDS rounds of `a` and `b` interleaved; ops per second per round. */
function timeInterleaved(a: (i: number) => number, b: (i: number) => number): { a: number[]; b: number[] } {
  const calibrate = (fn: (i: number) => number) => {
    let i = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < WARMUP_MS) sink += fn(i++);
    return Math.max(1, Math.ceil((ROUND_MS * i) / (performance.now() - t0)));
  };
  const na = calibrate(a);
  const nb = calibrate(b);
  const round1 = (fn: (i: number) => number, n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink += fn(i);
    return (n * 1000) / (performance.now() - t0);
  };
  const out = { a: [] as number[], b: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    out.a.push(round1(a, na));
    out.b.push(round1(b, nb));
  }
  return out;
}

function measureMerge(policy: MergePolicy, c: MergeCase): MergeResult {
  const texts = c.pairs.map(
    (p) => [JSON.stringify(p.current.value), JSON.stringify(p.incoming.value)] as const,
  );
  const first = policy(c.pairs[0]!.current, c.pairs[0]!.incoming);
  const merge = (i: number) => {
    const p = c.pairs[i % c.pairs.length]!;
    const out = policy(p.current, p.incoming);
    return out.conflict === undefined ? 0 : 1;
  };
  const floor = (i: number) => {
    const [ta, tb] = texts[i % texts.length]!;
    const a = JSON.parse(ta) as unknown;
    const b = JSON.parse(tb) as unknown;
    return JSON.stringify(a).length + JSON.stringify(b).length;
  };
  const rounds = timeInterleaved(merge, floor);
  const perSec = median(rounds.a);
  const floorPerSec = median(rounds.b);
  const valueBytes = texts.reduce((s, [a, b]) => s + a.length + b.length, 0) / (2 * texts.length);
  return {
    policy: c.policy,
    collection: c.collection,
    description: c.description,
    valueBytes: round(valueBytes, 0),
    outcome: 'merged' in first.result ? 'merged' : `kept ${first.result.keep}`,
    conflictRule: first.conflict?.rule ?? null,
    mergedBytes: 'merged' in first.result ? JSON.stringify(first.result.merged.value).length : null,
    mergesPerSec: round(perSec, 0),
    usPerMerge: round(1e6 / perSec, 3),
    roundsPerSec: rounds.a.map((v) => round(v, 0)),
    jsonFloor: {
      pairsPerSec: round(floorPerSec, 0),
      usPerPair: round(1e6 / floorPerSec, 3),
      roundsPerSec: rounds.b.map((v) => round(v, 0)),
    },
    overJsonFloor: round(floorPerSec / perSec, 2),
  };
}

// --- 2. the editing trace through the regions --------------------------------------------------------

interface Answer {
  readonly ms: number;
  readonly status: number;
  readonly text: string;
}

async function postUpdate(pool: Pool, key: string, update: Uint8Array): Promise<Answer> {
  const t0 = performance.now();
  try {
    const res = await pool.request({
      method: 'POST',
      path: `/v1/collections/notes/docs/${encodeURIComponent(key)}/yjs`,
      body: Buffer.from(update.buffer, update.byteOffset, update.byteLength),
      headers: { 'content-type': 'application/octet-stream' },
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    const text = await res.body.text();
    return { ms: performance.now() - t0, status: res.statusCode, text };
  } catch (err) {
    return { ms: performance.now() - t0, status: 0, text: (err as Error).message };
  }
}

/** The text of the document at `url` (its root Y.Text 'text'), or undefined when there is none yet. */
async function textAt(url: string, key: string): Promise<{ text: string; stateBytes: number } | undefined> {
  const res = await request(`${url}/v1/collections/notes/docs/${encodeURIComponent(key)}`, {
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    return undefined;
  }
  const { yjs } = (await res.body.json()) as { yjs: string };
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Buffer.from(yjs, 'base64'));
  return { text: doc.getText('text').toJSON(), stateBytes: yjs.length };
}

interface Converged {
  readonly region: string;
  /** ms after `since` when the region first showed exactly the expected text; null if it never did. */
  readonly ms: number | null;
  readonly polls: number;
  readonly exact: boolean;
  /** Characters of the last text read. */
  readonly finalLength: number | null;
  /** The stored state in the last answer (the base64 of the Yjs update), bytes. */
  readonly stateBase64Bytes: number | null;
}

/** Polls every region until its text is `expected` (or the timeout), all regions side by side. */
async function convergence(
  state: DeploymentState,
  regions: readonly string[],
  key: string,
  expected: string,
  since: number,
): Promise<Converged[]> {
  return Promise.all(
    regions.map(async (region) => {
      const url = urlOf(state, region);
      let polls = 0;
      let last: { text: string; stateBytes: number } | undefined;
      while (performance.now() - since < CONVERGE_TIMEOUT_MS) {
        polls++;
        last = await textAt(url, key).catch(() => undefined);
        if (last?.text === expected) {
          return {
            region,
            ms: round(performance.now() - since, 0),
            polls,
            exact: true,
            finalLength: last.text.length,
            stateBase64Bytes: last.stateBytes,
          };
        }
        await sleep(POLL_MS);
      }
      return {
        region,
        ms: null,
        polls,
        exact: false,
        finalLength: last?.text.length ?? null,
        stateBase64Bytes: last?.stateBytes ?? null,
      };
    }),
  );
}

function urlOf(state: DeploymentState, region: string): string {
  const r = state.regions.find((x) => x.name === region);
  if (!r) throw new Error(`no region ${region} in the deployment`);
  return r.url;
}

async function scrape(url: string): Promise<Sample[]> {
  const res = await request(`${url}/metrics`, { headersTimeout: 120_000, bodyTimeout: 120_000 });
  return parsePromText(await res.body.text());
}

function cpuMeter(state: DeploymentState): () => Cpu {
  const procs = [
    ...state.regions.map((r) => ({ name: r.name, pid: r.pid })),
    { name: 'wan', pid: state.wan.pid },
  ];
  const t0 = performance.now();
  const before = procs.map((p) => (p.pid === null ? undefined : processCpuMs(p.pid)));
  const self0 = selfCpuMs();
  return () => {
    const wall = performance.now() - t0;
    const ms: Record<string, number> = {};
    procs.forEach((p, i) => {
      const now = p.pid === null ? undefined : processCpuMs(p.pid);
      const was = before[i];
      if (now !== undefined && was !== undefined) ms[p.name] = round(now - was, 0);
    });
    ms['load generator'] = round(selfCpuMs() - self0, 0);
    const percent = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, round((100 * v) / wall, 0)]));
    return { ms, percent };
  };
}

interface StoreUsage {
  readonly region: string;
  /** The region's data directory on disk (database, WAL), bytes. */
  readonly fileBytes: number;
  /** Ledger entries of the `notes` (Yjs) collection and the bytes of their `versions` JSON. */
  readonly notesLedgerEntries: number | null;
  readonly notesLedgerBytes: number | null;
  /** Log entries of `notes` still held and the bytes of their values (each a whole merged state). */
  readonly notesLogEntries: number | null;
  readonly notesLogBytes: number | null;
}

/** Read-only look at a region's SQLite file: what the trace left in the ledger and the log. */
function storeUsage(dir: string, region: string): StoreUsage {
  const regionDir = join(dir, '.meridian', 'regions', region);
  let fileBytes = 0;
  for (const f of existsSync(regionDir) ? readdirSync(regionDir) : [])
    fileBytes += statSync(join(regionDir, f)).size;
  const out = {
    region,
    fileBytes,
    notesLedgerEntries: null,
    notesLedgerBytes: null,
    notesLogEntries: null,
    notesLogBytes: null,
  };
  try {
    const db = new Database(join(regionDir, `${region}.db`), { readonly: true, fileMustExist: true });
    try {
      const ledger = db
        .prepare(
          "SELECT count(*) AS n, coalesce(sum(length(versions)), 0) AS b FROM conflicts WHERE collection = 'notes'",
        )
        .get() as { n: number; b: number };
      const log = db
        .prepare(
          "SELECT count(*) AS n, coalesce(sum(length(value)), 0) AS b FROM log WHERE collection = 'notes'",
        )
        .get() as { n: number; b: number };
      return {
        ...out,
        notesLedgerEntries: ledger.n,
        notesLedgerBytes: ledger.b,
        notesLogEntries: log.n,
        notesLogBytes: log.b,
      };
    } finally {
      db.close();
    }
  } catch {
    return out;
  }
}

interface Cpu {
  /** CPU milliseconds per process over the run and its convergence. */
  readonly ms: Record<string, number>;
  /** The same over wall time, % of one core (the machine has two). */
  readonly percent: Record<string, number>;
}

interface ReplayRun {
  readonly name: string;
  readonly key: string;
  readonly sentTo: string[];
  readonly posts: number;
  readonly errors: number;
  readonly errorSamples: string[];
  /** First POST to last answer. */
  readonly ms: number;
  readonly overBare: number;
  /** When each region answered its last POST, ms after the first POST. */
  readonly regionDoneMs: Record<string, number>;
  readonly postLatencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Every region, ms after the last answer. */
  readonly convergence: Converged[];
  /** The slowest region's, ms after the last answer; null if one never converged. */
  readonly convergedMs: number | null;
  readonly allExact: boolean;
  readonly cpu: Cpu;
  /** The three regions' CPU ms per update sent, over the run and its convergence. */
  readonly regionCpuMsPerUpdate: number;
  /** Replication between the regions over the run (from /metrics); null if the scrape failed. */
  readonly replication: {
    readonly sentChanges: number;
    readonly rawBytes: number;
    readonly wireBytes: number;
    readonly received: Record<string, number>;
  } | null;
  /** `meridian_conflicts_total{collection="notes"}` per region after the run. */
  readonly conflictsCounted: Record<string, number> | null;
  /** The slowest region's /metrics scrape after the run: it counts the conflict ledger's new entries. */
  readonly metricsScrapeMs: number | null;
}

interface ReplayResult {
  readonly edits: number;
  readonly endContentChars: number;
  readonly batch: number;
  readonly updates: number;
  readonly updateBytes: number;
  /** Building the batches (one author replaying the trace, Y.mergeUpdates per batch): not timed against. */
  readonly buildMs: number;
  readonly bare: { readonly runsMs: number[]; readonly ms: number; readonly exact: boolean };
  /**
   * In this process: every update merged into the state and the state compacted, in order, as a region
   * does for each update it takes or receives (yjs-state.ts applyUpdate + compactState): one region's
   * least merge work for the whole trace.
   */
  readonly chain: {
    readonly ms: number;
    readonly msPerUpdate: number;
    readonly stateBytes: number;
    readonly exact: boolean;
  };
  readonly runs: ReplayRun[];
  readonly storeUsage: StoreUsage[];
}

function buildBatches(trace: EditingTrace): Uint8Array[] {
  const author = new Y.Doc();
  const updates: Uint8Array[] = [];
  author.on('update', (u: Uint8Array) => updates.push(u));
  const batches: Uint8Array[] = [];
  for (let from = 0; from < trace.edits.length; from += BATCH) {
    updates.length = 0;
    replayIntoYDoc(author, trace.edits, from, Math.min(from + BATCH, trace.edits.length));
    batches.push(Y.mergeUpdates(updates));
  }
  if (author.getText('text').toJSON() !== trace.endContent)
    throw new Error('the author did not reach endContent');
  return batches;
}

const lat4 = (values: readonly number[]) => {
  const s = summarize(values);
  return { p50: round(s.p50, 1), p90: round(s.p90, 1), p99: round(s.p99, 1), max: round(s.max, 1) };
};

/** Every region's /metrics, or undefined for a failed scrape; and how long the slowest took. */
async function scrapeAll(
  state: DeploymentState,
): Promise<{ samples: Array<Sample[] | undefined>; ms: number }> {
  const t0 = performance.now();
  const samples = await Promise.all(REGIONS.map((r) => scrape(urlOf(state, r)).catch(() => undefined)));
  return { samples, ms: performance.now() - t0 };
}

/** Sends batch i to targets[i % targets.length], each target's share one POST after another, all at once. */
async function replayRun(
  state: DeploymentState,
  name: string,
  key: string,
  targets: readonly string[],
  batches: readonly Uint8Array[],
  expected: string,
  bareMs: number,
): Promise<ReplayRun> {
  const pools = targets.map((r) => new Pool(urlOf(state, r), { connections: 1 }));
  const shares: Uint8Array[][] = targets.map(() => []);
  batches.forEach((b, i) => shares[i % targets.length]!.push(b));
  const before = await scrapeAll(state);
  const cpu = cpuMeter(state);
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  const t0 = performance.now();
  const done = await Promise.all(
    targets.map(async (region, ri) => {
      for (const update of shares[ri]!) {
        const a = await postUpdate(pools[ri]!, key, update);
        latencies.push(a.ms);
        if (a.status !== 200) {
          errors++;
          const sample = `${region}: ${a.status} ${a.text.slice(0, 300)}`;
          if (errorSamples.length < 5) errorSamples.push(sample);
          console.log(`    failed POST at ${round(performance.now() - t0, 0)} ms: ${sample}`);
        }
      }
      return performance.now();
    }),
  );
  await Promise.all(pools.map((p) => p.close()));
  const lastAnswer = Math.max(...done);
  const ms = lastAnswer - t0;
  console.log(
    `  ${name}: ${batches.length} POSTs answered in ${round(ms, 0)} ms (${errors} errors); converging ...`,
  );
  const converged = await convergence(state, REGIONS, key, expected, lastAnswer);
  const used = cpu();
  const after = await scrapeAll(state);
  for (const c of converged)
    console.log(
      `    ${c.region}: exact ${c.exact} after ${c.ms ?? 'never'} ms (${c.polls} polls; state ${kb(c.stateBase64Bytes ?? 0)} KB base64)`,
    );
  const complete = [...before.samples, ...after.samples].every((s) => s !== undefined);
  const diff = (metric: string, where: Record<string, string>) =>
    after.samples.reduce((a, s, i) => a + sum(s!, metric, where) - sum(before.samples[i]!, metric, where), 0);
  const allMs = converged.map((c) => c.ms);
  const regionCpuMs = REGIONS.reduce((a, r) => a + (used.ms[r] ?? 0), 0);
  return {
    name,
    key,
    sentTo: [...targets],
    posts: batches.length,
    errors,
    errorSamples,
    ms: round(ms, 0),
    overBare: round(ms / bareMs, 2),
    regionDoneMs: Object.fromEntries(targets.map((r, i) => [r, round(done[i]! - t0, 0)])),
    postLatencyMs: lat4(latencies),
    convergence: converged,
    convergedMs: allMs.every((m) => m !== null) ? Math.max(...allMs) : null,
    allExact: converged.every((c) => c.exact),
    cpu: used,
    regionCpuMsPerUpdate: round(regionCpuMs / batches.length, 1),
    replication: complete
      ? {
          sentChanges: diff('meridian_replication_sent_changes_total', {}),
          rawBytes: diff('meridian_replication_sent_bytes_total', { kind: 'raw' }),
          wireBytes: diff('meridian_replication_sent_bytes_total', { kind: 'wire' }),
          received: Object.fromEntries(
            ['applied', 'superseded', 'duplicate'].map((result) => [
              result,
              diff('meridian_replication_changes_total', { result }),
            ]),
          ),
        }
      : null,
    conflictsCounted: after.samples.every((s) => s !== undefined)
      ? Object.fromEntries(
          REGIONS.map((r, i) => [
            r,
            sum(after.samples[i]!, 'meridian_conflicts_total', { collection: 'notes' }),
          ]),
        )
      : null,
    metricsScrapeMs: after.samples.every((s) => s !== undefined) ? round(after.ms, 0) : null,
  };
}

async function replay(
  dir: string,
  state: DeploymentState,
  trace: EditingTrace,
  batches: readonly Uint8Array[],
  buildMs: number,
  chain: ReplayResult['chain'],
  runId: string,
): Promise<ReplayResult> {
  // The peer: the same edits into a bare Y.Doc, in this process, one transaction per edit.
  const runsMs: number[] = [];
  let exact = true;
  for (let r = 0; r < BARE_REPLAYS; r++) {
    const t0 = performance.now();
    const doc = new Y.Doc();
    replayIntoYDoc(doc, trace.edits);
    runsMs.push(performance.now() - t0);
    exact &&= doc.getText('text').toJSON() === trace.endContent;
  }
  const bareMs = median(runsMs);
  console.log(`  bare Y.Doc replay: ${round(bareMs, 0)} ms (median of ${BARE_REPLAYS}), exact ${exact}`);
  const runs = [
    await replayRun(
      state,
      'three regions at once',
      `${runId}-paper`,
      REGIONS,
      batches,
      trace.endContent,
      bareMs,
    ),
    await replayRun(
      state,
      `one region (${US}), in order`,
      `${runId}-paper-solo`,
      [US],
      batches,
      trace.endContent,
      bareMs,
    ),
  ];
  return {
    edits: trace.edits.length,
    endContentChars: trace.endContent.length,
    batch: BATCH,
    updates: batches.length,
    updateBytes: batches.reduce((a, b) => a + b.length, 0),
    buildMs: round(buildMs, 0),
    bare: { runsMs: runsMs.map((v) => round(v, 0)), ms: round(bareMs, 0), exact },
    chain,
    runs,
    storeUsage: REGIONS.map((r) => storeUsage(dir, r)),
  };
}

/** One region's least merge work, in this process: see ReplayResult.chain. */
function mergeChain(trace: EditingTrace, batches: readonly Uint8Array[]): ReplayResult['chain'] {
  const t0 = performance.now();
  let s = yjs.emptyState();
  for (const b of batches) s = yjs.compactState(yjs.applyUpdate(s, b));
  const ms = performance.now() - t0;
  return {
    ms: round(ms, 0),
    msPerUpdate: round(ms / batches.length, 1),
    stateBytes: s.length,
    exact: yjs.toText(s) === trace.endContent,
  };
}

// --- 3. last-write-wins conflicts under a partition --------------------------------------------------

interface LedgerEntry {
  readonly id: number;
  readonly collection: string;
  readonly key: string;
  readonly rule: string;
  readonly winner: string;
  readonly versions: ReadonlyArray<{ version: string }>;
}

interface PartitionRegion {
  readonly region: string;
  readonly entries: number;
  readonly distinctKeys: number;
  readonly rules: string[];
  /** ms after the first link was seen healed until the ledger held an entry for every key; null: never. */
  readonly completeMs: number | null;
  /** ... and counted from the return of the heal commands (negative: complete before they returned). */
  readonly completeAfterHealReturnedMs: number | null;
  readonly metricConflicts: number;
}

interface PartitionResult {
  readonly keys: number;
  readonly writes: { readonly ok: number; readonly errors: number; readonly errorSamples: string[] };
  /** How long the two `meridian chaos heal` commands (run side by side) took, mostly their start-up. */
  readonly healCommandMs: number;
  /** When each link was first seen healed (WAN control GET /links, polled), ms after the heal commands started. */
  readonly linkHealedMs: Record<string, number | null>;
  /** The floor: the configured one-way delay between the two sides (RTT ÷ 2). */
  readonly oneWayMs: number;
  readonly regions: PartitionRegion[];
  /** The slower of us-east-1 and eu-west-1 (the two sides), ms after the first link was seen healed. */
  readonly bothSidesMs: number | null;
  readonly bothSidesOverOneWay: number | null;
  /** Keys whose ledger entries name a different winner in different regions (must be 0). */
  readonly winnerMismatches: number;
}

async function ledgerPage(url: string, after: number): Promise<{ conflicts: LedgerEntry[]; next: number }> {
  const res = await request(`${url}/v1/conflicts?collection=profiles&after=${after}&limit=1000`);
  return (await res.body.json()) as { conflicts: LedgerEntry[]; next: number };
}

/** The whole ledger of `profiles`, entries for keys starting with `prefix`. */
async function ledger(url: string, prefix: string): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  for (let after = 0; ;) {
    const page = await ledgerPage(url, after);
    out.push(...page.conflicts.filter((c) => c.key.startsWith(prefix)));
    if (page.conflicts.length < 1000) return out;
    after = page.next;
  }
}

interface WanLink {
  readonly from: string;
  readonly to: string;
  readonly rttMs: number;
  readonly cut: boolean;
}

async function wanLinks(state: DeploymentState): Promise<WanLink[]> {
  const res = await request(`${state.wan.controlUrl}/links`);
  return ((await res.body.json()) as { links: WanLink[] }).links;
}

async function partitionConflicts(
  dir: string,
  state: DeploymentState,
  runId: string,
): Promise<PartitionResult> {
  const prefix = `${runId}-split-`;
  const keys = Array.from({ length: KEYS }, (_, i) => `${prefix}${i}`);
  const rnd = seeded(3);
  const body = () => JSON.stringify(ycsbRecord(rnd));
  const cuts = [
    [US, EU],
    [EU, AP],
  ] as const;
  const pairName = (a: string, b: string) => `${a} <-> ${b}`;
  const rtt = (await wanLinks(state)).find((l) => l.from === US && l.to === EU)?.rttMs ?? NaN;
  // The ledgers are read on from a cursor (only new entries): start after what is there already.
  const cursors = await Promise.all(REGIONS.map(async (r) => (await ledgerPage(urlOf(state, r), 0)).next));
  let ok = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  for (const [a, b] of cuts) meridian(dir, 'chaos', 'partition', a, b);
  let healStart = 0;
  let healed = 0;
  const linkHealed = new Map<string, number>();
  const complete = new Map<string, number>();
  const seen = REGIONS.map(() => new Set<string>());
  try {
    await Promise.all(
      [US, EU].map(async (region) => {
        const pool = new Pool(urlOf(state, region), { connections: 16 });
        const bodies = keys.map(() => body());
        for (let i = 0; i < keys.length; i += 16) {
          await Promise.all(
            keys.slice(i, i + 16).map(async (key, j) => {
              try {
                const res = await pool.request({
                  method: 'PUT',
                  path: `/v1/collections/profiles/docs/${key}`,
                  body: bodies[i + j],
                  headers: { 'content-type': 'application/json' },
                });
                const text = await res.body.text();
                if (res.statusCode === 200) ok++;
                else {
                  errors++;
                  if (errorSamples.length < 5)
                    errorSamples.push(`${region} ${key}: ${res.statusCode} ${text.slice(0, 300)}`);
                }
              } catch (err) {
                errors++;
                if (errorSamples.length < 5) errorSamples.push(`${region} ${key}: ${(err as Error).message}`);
              }
            }),
          );
        }
        await pool.close();
      }),
    );
  } finally {
    healStart = performance.now();
    let commandsDone = false;
    const commands = Promise.all(cuts.map(([a, b]) => meridianAsync(dir, 'chaos', 'heal', a, b))).finally(
      () => {
        healed = performance.now();
        commandsDone = true;
      },
    );
    // While the commands run: when each link heals (WAN control), and each region's new ledger entries.
    const watchLinks = (async () => {
      while (linkHealed.size < cuts.length && performance.now() - healStart < CONVERGE_TIMEOUT_MS) {
        const links = await wanLinks(state).catch(() => []);
        const at = performance.now();
        for (const [a, b] of cuts) {
          const both = links.filter((l) => (l.from === a && l.to === b) || (l.from === b && l.to === a));
          if (both.length === 2 && both.every((l) => !l.cut) && !linkHealed.has(pairName(a, b)))
            linkHealed.set(pairName(a, b), at);
        }
        if (commandsDone && linkHealed.size < cuts.length) break;
        await sleep(5);
      }
    })();
    const watchLedgers = (async () => {
      while (complete.size < REGIONS.length && performance.now() - healStart < CONVERGE_TIMEOUT_MS) {
        await Promise.all(
          REGIONS.map(async (region, i) => {
            if (complete.has(region)) return;
            const page = await ledgerPage(urlOf(state, region), cursors[i]!).catch(() => undefined);
            if (page === undefined) return;
            cursors[i] = page.next;
            for (const c of page.conflicts) if (c.key.startsWith(prefix)) seen[i]!.add(c.key);
            if (seen[i]!.size >= KEYS) complete.set(region, performance.now());
          }),
        );
        if (complete.size < REGIONS.length) await sleep(POLL_MS);
      }
    })();
    await Promise.all([commands, watchLinks, watchLedgers]);
  }
  // A moment for duplicates to show, had any been recorded late (relayed copies arrive after the first).
  await sleep(1000);
  const finals = await Promise.all(REGIONS.map((r) => ledger(urlOf(state, r), prefix)));
  const metrics = await Promise.all(REGIONS.map((r) => scrape(urlOf(state, r))));
  const winners = new Map<string, Set<string>>();
  for (const entries of finals) {
    for (const e of entries) winners.set(e.key, (winners.get(e.key) ?? new Set()).add(e.winner));
  }
  const firstHeal = linkHealed.size > 0 ? Math.min(...linkHealed.values()) : undefined;
  const regions = REGIONS.map((region, i): PartitionRegion => {
    const entries = finals[i]!;
    const at = complete.get(region);
    return {
      region,
      entries: entries.length,
      distinctKeys: new Set(entries.map((e) => e.key)).size,
      rules: [...new Set(entries.map((e) => e.rule))],
      completeMs: at === undefined || firstHeal === undefined ? null : round(at - firstHeal, 0),
      completeAfterHealReturnedMs: at === undefined ? null : round(at - healed, 0),
      metricConflicts: sum(metrics[i]!, 'meridian_conflicts_total', { collection: 'profiles', rule: 'lww' }),
    };
  });
  const sides = regions.filter((g) => g.region === US || g.region === EU).map((g) => g.completeMs);
  const both = sides.every((v) => v !== null) ? Math.max(...sides) : null;
  return {
    keys: KEYS,
    writes: { ok, errors, errorSamples },
    healCommandMs: round(healed - healStart, 0),
    linkHealedMs: Object.fromEntries(
      cuts.map(([a, b]) => {
        const at = linkHealed.get(pairName(a, b));
        return [pairName(a, b), at === undefined ? null : round(at - healStart, 0)];
      }),
    ),
    oneWayMs: round(rtt / 2, 1),
    regions,
    bothSidesMs: both,
    bothSidesOverOneWay: both === null ? null : round(both / (rtt / 2), 2),
    winnerMismatches: [...winners.values()].filter((s) => s.size > 1).length,
  };
}

// --- results ---------------------------------------------------------------------------------------

interface Results {
  readonly benchmark: 'bench:conflicts';
  readonly date: string;
  readonly machine: ReturnType<typeof machineInfo>;
  readonly settings: {
    readonly basePort: number;
    readonly rounds: number;
    readonly roundMs: number;
    readonly warmupMs: number;
    readonly pairsPerPolicy: number;
    readonly batch: number;
    readonly keys: number;
    readonly pollMs: number;
  };
  readonly merge: MergeResult[];
  readonly replay: ReplayResult;
  readonly partition: PartitionResult;
  readonly valid: boolean;
  readonly notes: string[];
}

const mb = (bytes: number) => round(bytes / 2 ** 20, 1);
const kb = (bytes: number) => round(bytes / 1024, 1);

function markdown(r: Results, file: string): string {
  const m = r.machine;
  const p = r.partition;
  const rp = r.replay;
  const conv = (cs: readonly Converged[]) =>
    cs.map((c) => `${c.ms === null ? 'never' : c.ms}${c.exact ? '' : ' (**not exact**)'}`).join(' / ');
  const lines = [
    '## bench:conflicts',
    '',
    `What conflict resolution costs. The merge policies are timed in one process, without HTTP, on the function the store runs (\`mergePolicyFor(config)\`, pairs written concurrently: no \`base\`), each against JSON.parse + JSON.stringify of the same two values, the floor of any state-based merge. The editing trace and the partition run on the three demo regions (\`meridian up\`, SQLite stores, the config of \`test/e2e/conflicts.test.ts\`) on the emulated WAN; the load generator, the 3 regions and the WAN emulator share the ${m.cpuCount} cores.`,
    '',
    ...(r.valid ? [] : ['> **WARNING: something failed or did not converge: see the notes below.**', '']),
    `- **Run:** ${r.date}`,
    `- **Machine:** ${m.cpuModel} × ${m.cpuCount}, ${round(m.totalMemoryBytes / 2 ** 30, 1)} GiB, Node ${m.node}; load average ${m.loadAverage1m.atStart} at start, ${m.loadAverage1m.atEnd} at end`,
    '',
    `**Merge throughput per policy** (${r.settings.pairsPerPolicy} distinct pairs cycled; ${r.settings.warmupMs} ms warm-up, then ${r.settings.rounds} rounds of ~${r.settings.roundMs} ms, policy and JSON peer interleaved; median):`,
    '',
    '| policy | pair | value bytes | outcome (rule) | merges/s | µs/merge | JSON parse+stringify µs/pair | ÷ JSON floor |',
    '| --- | --- | ---: | --- | ---: | ---: | ---: | ---: |',
    ...r.merge.map(
      (x) =>
        `| ${x.policy} | ${x.description} | ${x.valueBytes} | ${x.outcome}${x.mergedBytes === null ? '' : ` → ${x.mergedBytes} B`} (${x.conflictRule ?? 'none'}) | ${x.mergesPerSec.toLocaleString('en-US')} | ${x.usPerMerge} | ${x.jsonFloor.usPerPair} | **${x.overJsonFloor}** |`,
    ),
    '',
    `**Editing trace** (automerge-paper, ${rp.edits.toLocaleString('en-US')} edits, ${rp.endContentChars.toLocaleString('en-US')} characters at the end) in ${rp.updates} Yjs updates of ${rp.batch.toLocaleString('en-US')} edits (\`Y.mergeUpdates\` of the per-edit updates, ${kb(rp.updateBytes / rp.updates)} KB on average), \`POST …/docs/{key}/yjs\` to the \`notes\` collection (\`conflict: 'yjs'\`). Peer: the same edits replayed into a bare \`Y.Doc\` in this process, median of ${rp.bare.runsMs.length} runs: **${rp.bare.ms} ms**. Convergence: every region's GET polled every ${r.settings.pollMs} ms and decoded into a Y.Doc until its text is exactly the trace's end text.`,
    '',
    "| case | POSTs | errors | first POST → last answer ms | ÷ bare replay | POST p50 / p99 ms | exact end text everywhere, ms after the last answer (us / eu / ap) | regions' CPU ms per update |",
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rp.runs.map(
      (x) =>
        `| ${x.name} | ${x.posts} | ${x.errors} | ${x.ms} | **${x.overBare}** | ${x.postLatencyMs.p50} / ${x.postLatencyMs.p99} | ${x.allExact ? '' : '**not all** '}${conv(x.convergence)} | ${x.regionCpuMsPerUpdate} |`,
    ),
    '',
    ...whereTimeGoes(r).map((line) => `- ${line}`),
    '',
    `**Conflicts under a partition** (\`profiles\`, last-write-wins): ${US} ✂ ${EU} and ${EU} ✂ ${AP} partitioned (no relay), ${p.keys} keys written on both sides (${p.writes.ok} writes ok, ${p.writes.errors} failed), then both links healed by two \`meridian chaos heal\` run side by side (${p.healCommandMs} ms, mostly their start-up; the links were seen healed, polling the WAN emulator's \`/links\`, after ${Object.entries(
      p.linkHealedMs,
    )
      .map(([k, v]) => `${v ?? 'never'} ms (${k})`)
      .join(
        ', ',
      )}). Meanwhile every region's ledger (\`GET /v1/conflicts?after=<cursor>\`) was read on every ${r.settings.pollMs} ms. Times are from the first link seen healed; the floor is the configured one-way delay ${US} → ${EU}, ${p.oneWayMs} ms (a partitioned link holds the bytes sent meanwhile and delivers them on heal).`,
    '',
    '| region | ledger complete, ms after the first heal (after the commands returned) | entries | distinct keys | rules | `meridian_conflicts_total{collection="profiles",rule="lww"}` |',
    '| --- | ---: | ---: | ---: | --- | ---: |',
    ...p.regions.map(
      (g) =>
        `| ${g.region} | ${g.completeMs === null ? '**never**' : `${g.completeMs} (${g.completeAfterHealReturnedMs})`} | ${g.entries} | ${g.distinctKeys} | ${g.rules.join(', ') || '—'} | ${g.metricConflicts} |`,
    ),
    '',
    `Both sides' ledgers held all ${p.keys} conflicts **${p.bothSidesMs === null ? 'never' : `${p.bothSidesMs} ms`}** after the first heal: **${p.bothSidesOverOneWay ?? '—'}×** the one-way delay. One entry per key per region is expected; the regions' entries name the same winner for every key (${p.winnerMismatches} mismatches).`,
    '',
    ...r.notes.map((n) => `- ${n}`),
    ...(r.notes.length > 0 ? [''] : []),
    `Full figures: \`${file}\`.`,
  ];
  return lines.join('\n');
}

/** Sentences read off the figures: where the replay's time goes. */
function whereTimeGoes(r: Results): string[] {
  const rp = r.replay;
  const [three, one] = rp.runs;
  const out: string[] = [];
  if (!three || !one) return out;
  const cpuOf = (x: ReplayRun) =>
    Object.entries(x.cpu.percent)
      .map(([k, v]) => `${k} ${v} %`)
      .join(', ');
  out.push(
    `Each region merges and compacts the whole document once per update, whichever region took it: a POST loads the stored state into a Y.Doc, applies the update and encodes the compacted state (\`conflict-documents.ts\`), and a change received from a peer is merged and compacted the same way (\`mergeYjs\`). Done in order in this process, that is ${rp.chain.ms} ms for the trace, ${rp.chain.msPerUpdate} ms per update (state ${kb(rp.chain.stateBytes)} KB at the end; exact: ${rp.chain.exact}), so ${round(3 * rp.chain.msPerUpdate, 1)} ms of CPU per update for three regions. The regions spent ${one.regionCpuMsPerUpdate} ms per update with one writer and ${three.regionCpuMsPerUpdate} ms with three (${round(three.regionCpuMsPerUpdate / Math.max(one.regionCpuMsPerUpdate, 0.1), 2)}×); CPU over the three-writer run and its convergence (% of one core): ${cpuOf(three)}.`,
  );
  if (three.postLatencyMs.p50 > 1.5 * one.postLatencyMs.p50) {
    out.push(
      `With three writers a POST takes ${round(three.postLatencyMs.p50 / one.postLatencyMs.p50, 1)}× as long at p50 (${three.postLatencyMs.p50} against ${one.postLatencyMs.p50} ms; p99 ${three.postLatencyMs.p99} against ${one.postLatencyMs.p99} ms). Consistent with the read-modify-write of \`documents.update\` starting again (up to 20 attempts) whenever a replicated change of the same key lands between its read and its write, each attempt a full merge and compaction; this bench does not count the attempts.`,
    );
  }
  const rep = three.replication;
  if (rep !== null && rep.sentChanges > 0) {
    out.push(
      `Replication carries whole states, not the updates: in the three-writer run ${rep.sentChanges} changes went between the regions (relayed copies included; received ${Object.entries(
        rep.received,
      )
        .map(([k, v]) => `${v} ${k}`)
        .join(
          ', ',
        )}), ${mb(rep.rawBytes)} MB of JSON (${kb(rep.rawBytes / rep.sentChanges)} KB per change; the final stored state is ${kb(three.convergence[0]?.stateBase64Bytes ?? 0)} KB as base64) and ${mb(rep.wireBytes)} MB on the wire, against ${mb(rp.updateBytes)} MB of Yjs updates POSTed.`,
    );
  }
  const u = rp.storeUsage.filter((s) => s.notesLedgerEntries !== null);
  if (u.length > 0) {
    out.push(
      `Concurrent Yjs merges go to the conflict ledger with both whole states: after the trace (both runs), ${u.map((s) => `${s.region} ${s.notesLedgerEntries} entries, ${mb(s.notesLedgerBytes ?? 0)} MB`).join('; ')}${three.conflictsCounted === null ? '' : ` (\`meridian_conflicts_total{collection="notes"}\` after the three-writer run: ${Object.values(three.conflictsCounted).join(' / ')})`}. The first /metrics scrape after the run took ${three.metricsScrapeMs ?? 'n/a'} ms (the counter reads the new ledger entries, states included). Store files then: ${u.map((s) => `${mb(s.fileBytes)} MB`).join(' / ')}; the log held ${u.map((s) => `${s.notesLogEntries} entries (${mb(s.notesLogBytes ?? 0)} MB)`).join(' / ')} of \`notes\`.`,
    );
  }
  return out;
}

function notes(r: Omit<Results, 'notes' | 'valid'>): string[] {
  const out: string[] = [];
  if (!r.replay.bare.exact) out.push('The bare Y.Doc replay did not end with endContent.');
  if (!r.replay.chain.exact) out.push('The in-process merge chain did not end with endContent.');
  for (const x of r.replay.runs) {
    if (x.errors > 0) out.push(`${x.name}: ${x.errors} POSTs failed, e.g. ${x.errorSamples[0]}`);
    for (const c of x.convergence.filter((c) => !c.exact))
      out.push(
        `${x.name}: ${c.region} did not show exactly endContent within ${CONVERGE_TIMEOUT_MS} ms (last: ${c.finalLength ?? 'nothing'} characters).`,
      );
  }
  if (r.partition.writes.errors > 0)
    out.push(
      `${r.partition.writes.errors} partitioned writes failed, e.g. ${r.partition.writes.errorSamples[0]}`,
    );
  for (const g of r.partition.regions) {
    if (g.distinctKeys !== r.partition.keys || g.entries !== r.partition.keys)
      out.push(
        `${g.region}: ${g.entries} ledger entries for ${g.distinctKeys} keys (expected ${r.partition.keys} each).`,
      );
    if (g.metricConflicts !== g.entries)
      out.push(`${g.region}: the metric counts ${g.metricConflicts} lww conflicts, the ledger ${g.entries}.`);
  }
  if (r.partition.winnerMismatches > 0)
    out.push(
      `${r.partition.winnerMismatches} keys have ledger entries naming different winners in different regions.`,
    );
  return out;
}

function validOf(r: Omit<Results, 'notes' | 'valid'>): boolean {
  return (
    r.replay.bare.exact &&
    r.replay.chain.exact &&
    r.replay.runs.every((x) => x.errors === 0 && x.allExact) &&
    r.partition.writes.errors === 0 &&
    r.partition.regions.every((g) => g.completeMs !== null) &&
    r.partition.winnerMismatches === 0
  );
}

/** `--report FILE`: re-renders the BENCHMARKS.md section from a results file, measuring nothing. */
function reportOnly(file: string): void {
  const saved = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Results;
  const results: Results = { ...saved, notes: notes(saved) };
  updateBenchmarksFile(join(ROOT, 'BENCHMARKS.md'), '## bench:conflicts', markdown(results, file));
  console.log(`BENCHMARKS.md section re-rendered from ${file}`);
}

async function waitReady(state: DeploymentState, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const views = await Promise.all(
      state.regions.map(async (r) => {
        try {
          const res = await request(`${r.url}/v1/cluster`, { headersTimeout: 5000, bodyTimeout: 5000 });
          return (await res.body.json()) as { peers: Array<{ healthy: boolean }> };
        } catch {
          return undefined;
        }
      }),
    );
    if (
      views.every(
        (v) =>
          v !== undefined && v.peers.length === state.regions.length - 1 && v.peers.every((p) => p.healthy),
      )
    )
      return;
    if (performance.now() > deadline) throw new Error(`regions not all healthy within ${timeoutMs} ms`);
    await sleep(250);
  }
}

async function main(): Promise<void> {
  const loadAtStart = loadAverage1m();
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-conflicts-'));
  const configFile = join(dir, 'meridian.config.ts');
  writeFileSync(configFile, CONFIG);
  const runId = `x${Date.now().toString(36)}`;
  try {
    // The same config the regions load, so the resolver is the same code.
    const { config } = await loadConfig(configFile);
    const policy = mergePolicyFor(config);
    const trace = loadEditingTrace();

    console.log('1. merge throughput per policy, in process ...');
    const cases = [lwwCase(), vectorCase(), crdtCase(), yjsCase(trace), resolverCase()];
    const merge = cases.map((c) => {
      const x = measureMerge(policy, c);
      console.log(
        `  ${x.policy}: ${x.mergesPerSec} merges/s, ${x.usPerMerge} µs/merge; JSON floor ${x.jsonFloor.usPerPair} µs; ÷ floor ${x.overJsonFloor}; ${x.outcome} (${x.conflictRule})`,
      );
      return x;
    });

    console.log(`2. building ${Math.ceil(trace.edits.length / BATCH)} Yjs updates of ${BATCH} edits ...`);
    const b0 = performance.now();
    const batches = buildBatches(trace);
    const buildMs = performance.now() - b0;
    const chain = mergeChain(trace, batches);
    console.log(
      `  one region's least merge work (in process): ${chain.ms} ms, ${chain.msPerUpdate} ms per update`,
    );

    console.log(`starting the deployment in ${dir} (base port ${BASE_PORT}) ...`);
    meridian(dir, 'up', '--detach', '--base-port', String(BASE_PORT), '--config', configFile);
    const state = JSON.parse(readFileSync(join(dir, '.meridian', 'state.json'), 'utf8')) as DeploymentState;
    await waitReady(state);

    console.log('2. the editing trace through the regions ...');
    const replayResult = await replay(dir, state, trace, batches, buildMs, chain, runId);

    console.log(`3. ${KEYS} lww conflicts under a partition ...`);
    const partition = await partitionConflicts(dir, state, runId);
    for (const g of partition.regions)
      console.log(
        `  ${g.region}: ${g.entries} entries (${g.distinctKeys} keys) complete ${g.completeMs ?? 'never'} ms after the first heal (${g.completeAfterHealReturnedMs ?? '—'} after the commands returned); metric ${g.metricConflicts}`,
      );

    const date = new Date().toISOString();
    const partial = {
      benchmark: 'bench:conflicts' as const,
      date,
      machine: machineInfo(loadAtStart),
      settings: {
        basePort: BASE_PORT,
        rounds: ROUNDS,
        roundMs: ROUND_MS,
        warmupMs: WARMUP_MS,
        pairsPerPolicy: PAIRS,
        batch: BATCH,
        keys: KEYS,
        pollMs: POLL_MS,
      },
      merge,
      replay: replayResult,
      partition,
    };
    const results: Results = { ...partial, valid: validOf(partial), notes: notes(partial) };
    for (const n of results.notes) console.log(`note: ${n}`);
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    const file = `bench/results/conflicts-${date.replace(/[:.]/g, '-')}.json`;
    const json = JSON.stringify(results, null, 2) + '\n';
    writeFileSync(join(ROOT, file), json);
    writeFileSync(join(ROOT, 'bench', 'results', 'conflicts-latest.json'), json);
    updateBenchmarksFile(join(ROOT, 'BENCHMARKS.md'), '## bench:conflicts', markdown(results, file));
    console.log(`results in ${file} and BENCHMARKS.md (sink ${sink % 10})`);
  } finally {
    // Whatever `up` started, even if it failed half-way.
    if (existsSync(join(dir, '.meridian', 'state.json'))) meridian(dir, 'down');
    rmSync(dir, { recursive: true, force: true });
  }
}

const reportFile = process.argv.includes('--report') ? flag('report', '') : '';
if (reportFile) reportOnly(reportFile);
else await main();
