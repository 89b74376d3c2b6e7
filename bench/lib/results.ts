// The results of one bench:api run: reference throughput, ratios and targets, and the JSON files.

import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PhaseResult } from './phase.ts';
import { round } from './stats.ts';

export interface Machine {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly totalMemoryBytes: number;
  readonly node: string;
  readonly os: string;
  /** 1-minute load average when the run started and ended: other work on the machine shows here. */
  readonly loadAverage1m: { readonly atStart: number; readonly atEnd: number };
}

export interface Target {
  readonly name: string;
  readonly measured: number;
  readonly goal: string;
  readonly met: boolean;
}

export interface Reference {
  readonly bareBeforeReqPerSec: number;
  readonly bareAfterReqPerSec: number;
  /** The reference: the mean of the bare runs before and after the region node phases. */
  readonly bareMeanReqPerSec: number;
  /** How far bare-after moved from bare-before, in %: a measure of the machine's noise during the run. */
  readonly bareDriftPercent: number;
}

export interface ApiBenchSettings {
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly connections: number;
  readonly pipelining: number;
  readonly keys: number;
  readonly collection: string;
  /** Mean size of the PUT bodies, in bytes. */
  readonly documentBytes: number;
  readonly store: 'sqlite' | 'memory';
  readonly storeDetails: string;
  readonly regionLogLevel: string;
}

export interface ApiBenchResults {
  readonly benchmark: 'bench:api';
  readonly date: string;
  readonly machine: Machine;
  readonly settings: ApiBenchSettings;
  readonly phases: readonly PhaseResult[];
  readonly reference: Reference;
  readonly ratios: { readonly readsToBare: number; readonly writesToBare: number };
  readonly targets: readonly Target[];
  readonly totalErrors: number;
  /** False when any request failed: the figures are then not comparable with clean runs. */
  readonly valid: boolean;
  readonly notes: readonly string[];
}

export const P99_GOAL_MS = 10;
const READS_GOAL = 0.7;
const WRITES_GOAL = 0.5;

export function loadAverage1m(): number {
  return round(loadavg()[0] ?? NaN);
}

/** The machine, called at the end of the run with the load average noted at its start. */
export function machineInfo(loadAtStart: number): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
    totalMemoryBytes: totalmem(),
    node: process.version,
    os: `${platform()} ${release()}`,
    loadAverage1m: { atStart: loadAtStart, atEnd: loadAverage1m() },
  };
}

export function reference(bareBefore: PhaseResult, bareAfter: PhaseResult): Reference {
  const mean = (bareBefore.reqPerSec + bareAfter.reqPerSec) / 2;
  return {
    bareBeforeReqPerSec: bareBefore.reqPerSec,
    bareAfterReqPerSec: bareAfter.reqPerSec,
    bareMeanReqPerSec: round(mean, 0),
    bareDriftPercent: round((100 * (bareAfter.reqPerSec - bareBefore.reqPerSec)) / bareBefore.reqPerSec, 1),
  };
}

export function evaluate(ref: Reference, writes: PhaseResult, reads: PhaseResult) {
  const ratios = {
    readsToBare: round(reads.reqPerSec / ref.bareMeanReqPerSec, 3),
    writesToBare: round(writes.reqPerSec / ref.bareMeanReqPerSec, 3),
  };
  const targets: Target[] = [
    atLeast('reads req/s ÷ bare req/s', ratios.readsToBare, READS_GOAL),
    atLeast('writes req/s ÷ bare req/s', ratios.writesToBare, WRITES_GOAL),
    atMost('reads p99 (ms)', reads.latencyMs.p99, P99_GOAL_MS),
    atMost('writes p99 (ms)', writes.latencyMs.p99, P99_GOAL_MS),
  ];
  return { ratios, targets };
}

function atLeast(name: string, measured: number, goal: number): Target {
  return { name, measured, goal: `≥ ${goal}`, met: measured >= goal };
}

function atMost(name: string, measured: number, goal: number): Target {
  return { name, measured, goal: `≤ ${goal}`, met: measured <= goal };
}

/** Writes bench/results/api-<date>.json and api-latest.json; returns their paths. */
export function writeResults(dir: string, results: ApiBenchResults): string[] {
  mkdirSync(dir, { recursive: true });
  const text = JSON.stringify(results, null, 2) + '\n';
  const stamp = results.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const paths = [join(dir, `api-${stamp}.json`), join(dir, 'api-latest.json')];
  for (const path of paths) writeFileSync(path, text);
  return paths;
}
