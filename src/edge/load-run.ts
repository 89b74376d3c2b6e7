// The load generator behind `meridian load` and `meridian drill`: an open loop of virtual users at a fixed
// rate. Each request waits half its user's leg RTT, goes to the target (the nearest edge, with the user's
// synthetic address in x-forwarded-for, or one region directly), and waits the other half after the answer,
// so the recorded latency is what the user in that city would see end to end.

import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { cityAddress } from './sim-geo.ts';
import { pickCity, populationIndex, userLeg, type Target } from './virtual-users.ts';
import type { City } from './world-cities.ts';

export interface LoadOptions {
  readonly cities: readonly City[];
  readonly targets: readonly Target[];
  readonly stretch: number;
  readonly lastMileRttMs: number;
  readonly ratePerSec: number;
  readonly durationMs: number;
  readonly path: string;
  /** The targets are regions themselves (`--single-region`): the target served when no header says. */
  readonly targetsAreRegions?: boolean;
  /** Extra request headers (a residency claim, say). */
  readonly headers?: Record<string, string>;
  readonly requestTimeoutMs?: number;
  readonly random?: () => number;
  /** Called about four times a second. */
  readonly onProgress?: (p: LoadProgress) => void;
  /** Called once when `at` ms of the run have passed (a drill's kill). */
  readonly at?: { readonly ms: number; readonly run: () => void };
}

export interface LoadProgress {
  readonly elapsedMs: number;
  readonly durationMs: number;
  readonly sent: number;
  readonly done: number;
  readonly errors: number;
}

export interface Sample {
  readonly city: string;
  readonly country: string;
  readonly continent: string;
  readonly target: string;
  /** When the request reached the target, in ms since the run started. */
  readonly arrivedAtMs: number;
  readonly latencyMs: number;
  readonly legRttMs: number;
  readonly status: number | null;
  readonly region: string | null;
  readonly route: string | null;
  readonly retriedFrom: string | null;
  readonly error: string | null;
}

export interface LoadRun {
  readonly samples: readonly Sample[];
  readonly startedAt: number;
  readonly elapsedMs: number;
  /** Requests not started because too many were in flight (the system under test fell behind). */
  readonly skipped: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const random = options.random ?? Math.random;
  const index = populationIndex(options.cities);
  const pools = new Map(
    options.targets.map((t) => [t.name, new Pool(t.url, { connections: 128, keepAliveTimeout: 30_000 })]),
  );
  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = Math.max(100, options.ratePerSec * 10);
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const startedAt = Date.now();
  const t0 = performance.now();
  let sent = 0;
  let errors = 0;
  let skipped = 0;
  let atDone = options.at === undefined;

  async function one(n: number): Promise<void> {
    const city = pickCity(index, random());
    const leg = userLeg(city, options.targets, options.stretch, options.lastMileRttMs);
    const begin = performance.now();
    await sleep(leg.rttMs / 2);
    const arrivedAtMs = performance.now() - t0;
    let status: number | null = null;
    let headers: Record<string, string | string[] | undefined> = {};
    let error: string | null = null;
    try {
      const res = await pools.get(leg.target.name)!.request({
        method: 'GET',
        path: options.path,
        headers: { 'x-forwarded-for': cityAddress(city, n), ...options.headers },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await res.body.dump();
      status = res.statusCode;
      headers = res.headers;
      if (status >= 500) error = `HTTP ${status}`;
    } catch (err) {
      error = (err as { code?: string }).code ?? (err as Error).message;
    }
    await sleep(leg.rttMs / 2);
    if (error !== null) errors++;
    const one = (name: string) => {
      const v = headers[name];
      return typeof v === 'string' ? v : null;
    };
    samples.push({
      city: city.name,
      country: city.country,
      continent: city.continent,
      target: leg.target.name,
      arrivedAtMs,
      latencyMs: performance.now() - begin,
      legRttMs: leg.rttMs,
      status,
      region:
        one('x-meridian-region') ?? (options.targetsAreRegions && status !== null ? leg.target.name : null),
      route: one('x-meridian-route'),
      retriedFrom: one('x-meridian-retried-from'),
      error,
    });
  }

  const progress = () =>
    options.onProgress?.({
      elapsedMs: performance.now() - t0,
      durationMs: options.durationMs,
      sent,
      done: samples.length,
      errors,
    });
  const ticker = setInterval(progress, 250);
  try {
    const gap = 1000 / options.ratePerSec;
    for (let n = 0; ; n++) {
      const due = n * gap;
      if (due >= options.durationMs) break;
      const wait = due - (performance.now() - t0);
      if (wait > 0) await sleep(wait);
      if (!atDone && performance.now() - t0 >= options.at!.ms) {
        atDone = true;
        options.at!.run();
      }
      if (inFlight.size >= maxInFlight) {
        skipped++;
        continue;
      }
      sent++;
      const p = one(n).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  } finally {
    clearInterval(ticker);
    progress();
    await Promise.all([...pools.values()].map((p) => p.close()));
  }
  return { samples, startedAt, elapsedMs: performance.now() - t0, skipped };
}
