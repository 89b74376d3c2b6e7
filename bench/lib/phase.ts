// One benchmark phase: an unrecorded warm-up, then a measured closed loop with CPU accounting.

import { machineBusyCpuMs, processCpuMs, selfCpuMs } from './cpu-usage.ts';
import { runClosedLoop, type RequestSpec } from './load.ts';
import { round, summarize, type LatencySummary } from './stats.ts';

export interface PhaseSpec {
  readonly name: string;
  readonly description: string;
  readonly server: { readonly name: string; readonly pid: number; readonly url: string };
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly connections: number;
  readonly expectStatus: number;
  readonly next: () => RequestSpec | undefined;
}

export interface PhaseResult {
  readonly name: string;
  readonly description: string;
  readonly server: string;
  readonly requests: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly warmupErrors: number;
  readonly elapsedMs: number;
  readonly reqPerSec: number;
  readonly latencyMs: LatencySummary;
  /** CPU time over wall time, in % of one core (200 % = both cores of a 2-core machine). */
  readonly serverCpuPercent: number | undefined;
  /** Server CPU microseconds spent per request: the cost of one request, independent of the load generator. */
  readonly serverCpuUsPerRequest: number | undefined;
  readonly loadGeneratorCpuPercent: number;
  /** Everything else the machine ran meanwhile (other processes, kernel), in % of one core: the noise. */
  readonly otherCpuPercent: number | undefined;
}

export async function runPhase(spec: PhaseSpec): Promise<PhaseResult> {
  const load = {
    origin: spec.server.url,
    connections: spec.connections,
    expectStatus: spec.expectStatus,
    next: spec.next,
  };
  const warmup = await runClosedLoop({ ...load, durationMs: spec.warmupMs });
  const serverCpuBefore = processCpuMs(spec.server.pid);
  const selfCpuBefore = selfCpuMs();
  const machineCpuBefore = machineBusyCpuMs();
  const run = await runClosedLoop({ ...load, durationMs: spec.durationMs });
  const serverCpuAfter = processCpuMs(spec.server.pid);
  const selfCpu = selfCpuMs() - selfCpuBefore;
  const machineCpuAfter = machineBusyCpuMs();
  const percent = (cpuMs: number) => round((100 * cpuMs) / run.elapsedMs, 0);
  const serverCpu =
    serverCpuBefore === undefined || serverCpuAfter === undefined
      ? undefined
      : serverCpuAfter - serverCpuBefore;
  return {
    name: spec.name,
    description: spec.description,
    server: spec.server.name,
    requests: run.requests,
    errors: run.errors,
    errorSamples: [...warmup.errorSamples, ...run.errorSamples].slice(0, 5),
    warmupErrors: warmup.errors,
    elapsedMs: round(run.elapsedMs, 0),
    reqPerSec: round((run.requests * 1000) / run.elapsedMs, 0),
    latencyMs: roundSummary(summarize(run.latenciesMs)),
    serverCpuPercent: serverCpu === undefined ? undefined : percent(serverCpu),
    serverCpuUsPerRequest:
      serverCpu === undefined || run.requests === 0 ? undefined : round((serverCpu * 1000) / run.requests, 0),
    loadGeneratorCpuPercent: percent(selfCpu),
    otherCpuPercent:
      machineCpuBefore === undefined || machineCpuAfter === undefined || serverCpu === undefined
        ? undefined
        : Math.max(0, percent(machineCpuAfter - machineCpuBefore - serverCpu - selfCpu)),
  };
}

function roundSummary(s: LatencySummary): LatencySummary {
  return { p50: round(s.p50), p90: round(s.p90), p99: round(s.p99), max: round(s.max), mean: round(s.mean) };
}
