// bench:api — the region node's HTTP API (SQLite store by default) against a bare node:http server.

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { updateBenchmarksFile } from './lib/benchmarks-md.ts';
import type { ServerChild } from './lib/child.ts';
import { runClosedLoop, type RequestSpec } from './lib/load.ts';
import { resolveOptions, type ApiBenchOptions } from './lib/options.ts';
import { runPhase, type PhaseResult } from './lib/phase.ts';
import { consoleReport, markdownSection } from './lib/report.ts';
import {
  evaluate,
  loadAverage1m,
  machineInfo,
  reference,
  writeResults,
  type ApiBenchResults,
} from './lib/results.ts';
import {
  COLLECTION,
  REGION_LOG_LEVEL,
  REPO_ROOT,
  startBareServer,
  startRegionNode,
  storeDocumentCount,
} from './lib/servers.ts';
import { ycsbBodies, ycsbKey } from './lib/ycsb.ts';

const servers: ServerChild[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'meridian-bench-api-'));

async function cleanup(): Promise<void> {
  await Promise.allSettled(servers.map((s) => s.stop()));
  rmSync(dataDir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the servers`);
    void cleanup().finally(() => process.exit(130));
  });
}

const log = (line: string) => console.log(line);

async function main(options: ApiBenchOptions): Promise<ApiBenchResults> {
  const loadAtStart = loadAverage1m();
  const cpu = cpus();
  const bodies = ycsbBodies(256, Math.random);
  const documentBytes = Math.round(bodies.reduce((n, b) => n + b.length, 0) / bodies.length);
  const docPath = (i: number) => `/v1/collections/${COLLECTION}/docs/${ycsbKey(i)}`;
  log(`bench:api on ${cpu[0]?.model.trim() ?? 'unknown CPU'} × ${cpu.length}, Node ${process.version}`);
  log(
    `Note: the load generator (this process) and the server under test share these ${cpu.length} cores ` +
      'and compete for CPU: read the ratios, not the absolute req/s.',
  );

  const bare = await startBareServer();
  servers.push(bare);
  const region = await startRegionNode({ dataDir, store: options.store, cpuProfDir: options.cpuProfDir });
  servers.push(region);
  log(
    `bare server ${bare.url} (pid ${bare.pid}); region node ${region.url} (pid ${region.pid}, store ${options.store})`,
  );

  const phase = async (
    name: string,
    description: string,
    server: ServerChild,
    next: () => RequestSpec | undefined,
  ) => {
    const secs = (options.warmupMs + options.durationMs) / 1000;
    log(`phase ${name}: ${description} (${secs} s)…`);
    const result = await runPhase({ ...options, name, description, server, expectStatus: 200, next });
    const died = server.exitReport();
    if (died !== undefined) throw new Error(`during phase ${name}: ${died}`);
    log(
      `  ${result.reqPerSec} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, errors ${result.errors}`,
    );
    return result;
  };
  const bareGet = (): RequestSpec => ({ method: 'GET', path: '/' });
  let written = 0;
  const put = (): RequestSpec => {
    const i = written++;
    return { method: 'PUT', path: docPath(i % options.keys), body: bodies[i % bodies.length] };
  };
  const get = (): RequestSpec => ({ method: 'GET', path: docPath(Math.floor(Math.random() * options.keys)) });

  const bareBefore = await phase('bare-before', 'bare GET (before)', bare, bareGet);
  const writes = await phase('writes', 'region PUT ~1 KB doc', region, put);
  const fill = await preloadRest(region.url, options, () => (written < options.keys ? put() : undefined));
  const documents = await storeDocumentCount(region.url);
  const reads = await phase('reads', 'region GET by key', region, get);
  const bareAfter = await phase('bare-after', 'bare GET (after)', bare, bareGet);
  await Promise.all(servers.map((s) => s.stop()));
  const machine = machineInfo(loadAtStart);

  const phases: PhaseResult[] = [bareBefore, writes, reads, bareAfter];
  const ref = reference(bareBefore, bareAfter);
  const totalErrors = phases.reduce((n, p) => n + p.errors + p.warmupErrors, 0) + fill.errors;
  const notes = [
    `The load generator and the servers share ${machine.cpuCount} cores; "server CPU" is the server process ` +
      'alone, in % of one core.',
    'In a closed loop of N connections, mean latency ≈ N ÷ req/s: the p99 and throughput targets move together.',
    `Store ${options.store}` +
      (options.store === 'sqlite' ? ` (database file ${region.databaseFile ? 'present' : 'MISSING'})` : '') +
      `: ${String(documents)} live documents after preload, of ${options.keys} keys.`,
    ...(fill.requests > 0 ? [`${fill.requests} keys were written unmeasured after the write phase.`] : []),
    ...(documents !== options.keys ? [`Expected ${options.keys} documents in the store before reads.`] : []),
  ];
  return {
    benchmark: 'bench:api',
    date: new Date().toISOString(),
    machine,
    settings: {
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
      connections: options.connections,
      pipelining: 1,
      keys: options.keys,
      collection: COLLECTION,
      documentBytes,
      store: options.store,
      storeDetails:
        options.store === 'sqlite' ? 'WAL, synchronous=normal, file in a temp data dir' : 'in process memory',
      regionLogLevel: REGION_LOG_LEVEL,
    },
    phases,
    reference: ref,
    ...evaluate(ref, writes, reads),
    totalErrors,
    valid: totalErrors === 0 && documents === options.keys,
    notes,
  };
}

/** Writes the keys the timed write phase did not reach, so that every measured read finds its document. */
async function preloadRest(origin: string, options: ApiBenchOptions, next: () => RequestSpec | undefined) {
  return runClosedLoop({
    origin,
    connections: options.connections,
    durationMs: Infinity,
    expectStatus: 200,
    next,
  });
}

try {
  const results = await main(resolveOptions(process.argv.slice(2)));
  const [dated] = writeResults(join(REPO_ROOT, 'bench/results'), results);
  const resultFile = relative(REPO_ROOT, dated!);
  updateBenchmarksFile(
    join(REPO_ROOT, 'BENCHMARKS.md'),
    '## bench:api',
    markdownSection(results, resultFile),
  );
  log(consoleReport(results));
  log(`\nresults: ${resultFile}, bench/results/api-latest.json; BENCHMARKS.md section "bench:api" updated`);
  process.exitCode = results.valid ? 0 : 1;
} catch (err) {
  console.error(`bench:api failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
