// `meridian drill kill REGION`: virtual users run while the region is killed; the drill reports how long
// until every new request succeeds elsewhere (no failure and no first attempt at the dead region) and the
// requests that failed in between, then restarts the region.

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { killRegion, restartRegion } from '../control/chaos.ts';
import type { DeploymentState } from '../control/deployment-state.ts';
import { runLoad, type LoadProgress, type Sample } from './load-run.ts';
import { loadSetup } from './load-setup.ts';

export interface DrillOptions {
  readonly state: DeploymentState;
  readonly region: string;
  readonly ratePerSec: number;
  /** Load before the kill. */
  readonly warmupMs: number;
  /** Load after the kill. */
  readonly observeMs: number;
  readonly lastMileRttMs: number;
  readonly path: string;
  /** Leave the region dead at the end. */
  readonly noRestart?: boolean;
  readonly onProgress?: (p: LoadProgress) => void;
}

export interface DrillResult {
  readonly region: string;
  readonly requests: number;
  readonly requestsAfterKill: number;
  /** From the kill until the last request that failed or first tried the dead region reached its edge. */
  readonly recoveredAfterMs: number;
  /** Requests that failed after the kill (status >= 500 or no answer). */
  readonly failed: number;
  /** Requests that reached the dead region first and were retried elsewhere by the edge. */
  readonly retried: number;
  /** Who served, after the kill, the users the dead region served before it. */
  readonly servedAfter: Readonly<Record<string, number>>;
  readonly failures: ReadonlyArray<Pick<Sample, 'city' | 'target' | 'arrivedAtMs' | 'error'>>;
  /** How long the restart took until the region was ready again; null with noRestart. */
  readonly restartMs: number | null;
  /**
   * From the kill until every edge had taken the region out (its health checks or passive ejection):
   * from then on no new request reaches it first. Null if that did not happen while the drill watched.
   */
  readonly edgesDetectedAfterMs: number | null;
}

export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const { state, region } = options;
  const setup = await loadSetup(state);
  let killedAtMs = Number.NaN;
  let detection: Promise<number | null> = Promise.resolve(null);
  const run = await runLoad({
    cities: setup.cities,
    targets: setup.targets,
    stretch: setup.stretch,
    lastMileRttMs: options.lastMileRttMs,
    ratePerSec: options.ratePerSec,
    durationMs: options.warmupMs + options.observeMs,
    path: options.path,
    onProgress: options.onProgress,
    at: {
      ms: options.warmupMs,
      run: () => {
        const at = performance.now();
        killRegion(state, region);
        killedAtMs = options.warmupMs;
        detection = edgesDetect(state, region, at, options.observeMs);
      },
    },
  });
  const edgesDetectedAfterMs = await detection;
  let restartMs: number | null = null;
  if (!options.noRestart) {
    const started = performance.now();
    await restartRegion(state, region);
    restartMs = Math.round(performance.now() - started);
  }
  return { ...analyseDrill(run.samples, region, killedAtMs, restartMs), edgesDetectedAfterMs };
}

/** Polls every edge's status every 25 ms until all of them have taken `region` out. */
async function edgesDetect(
  state: DeploymentState,
  region: string,
  killedAt: number,
  withinMs: number,
): Promise<number | null> {
  const edges = state.edges ?? [];
  while (performance.now() - killedAt < withinMs) {
    const views = await Promise.all(
      edges.map(async (e) => {
        try {
          const res = await request(`${e.url}/_meridian/status`, { headersTimeout: 1000, bodyTimeout: 1000 });
          const body = (await res.body.json()) as { regions: Array<{ name: string; healthy: boolean }> };
          return body.regions.find((r) => r.name === region)?.healthy === false;
        } catch {
          return false;
        }
      }),
    );
    if (views.every(Boolean)) return Math.round(performance.now() - killedAt);
    await sleep(25);
  }
  return null;
}

export function analyseDrill(
  samples: readonly Sample[],
  region: string,
  killedAtMs: number,
  restartMs: number | null,
): Omit<DrillResult, 'edgesDetectedAfterMs'> {
  const after = samples.filter((s) => s.arrivedAtMs >= killedAtMs);
  const affected = after.filter((s) => s.error !== null || s.retriedFrom === region || s.region === region);
  const last = affected.reduce((max, s) => Math.max(max, s.arrivedAtMs), killedAtMs);
  const servedBefore = new Set(
    samples.filter((s) => s.arrivedAtMs < killedAtMs && s.region === region).map((s) => s.city),
  );
  const servedAfter: Record<string, number> = {};
  for (const s of after) {
    if (servedBefore.has(s.city) && s.region !== null && s.error === null) {
      servedAfter[s.region] = (servedAfter[s.region] ?? 0) + 1;
    }
  }
  const failures = after.filter((s) => s.error !== null);
  return {
    region,
    requests: samples.length,
    requestsAfterKill: after.length,
    recoveredAfterMs: Math.round(last - killedAtMs),
    failed: failures.length,
    retried: after.filter((s) => s.retriedFrom === region).length,
    servedAfter,
    failures: failures.slice(0, 20).map(({ city, target, arrivedAtMs, error }) => ({
      city,
      target,
      arrivedAtMs: Math.round(arrivedAtMs),
      error,
    })),
    restartMs,
  };
}
