// What `meridian load` reports: end-to-end latency per continent (p50/p99), for users near a region, which
// region served whom, and the errors; as JSON and as an aligned table, plus the progress bar.

import { haversineKm, type GeoPoint } from '../core/geo.ts';
import type { LoadProgress, LoadRun, Sample } from './load-run.ts';
import type { City } from './world-cities.ts';

/** A user within this distance of a region's city counts as "near a region". */
export const NEAR_KM = 1500;

export interface LatencyRow {
  readonly group: string;
  readonly requests: number;
  readonly errors: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export interface LoadSummary {
  readonly mode: string;
  readonly requests: number;
  readonly errors: number;
  readonly skipped: number;
  readonly elapsedMs: number;
  readonly achievedRatePerSec: number;
  readonly overall: LatencyRow;
  readonly nearRegion: LatencyRow;
  readonly byContinent: readonly LatencyRow[];
  readonly byCity: ReadonlyArray<
    LatencyRow & { readonly target: string; readonly servedBy: Record<string, number> }
  >;
  /** continent -> region -> requests served. */
  readonly servedBy: Readonly<Record<string, Record<string, number>>>;
  readonly errorKinds: Readonly<Record<string, number>>;
}

export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function row(group: string, samples: readonly Sample[]): LatencyRow {
  const ok = samples
    .filter((s) => s.error === null)
    .map((s) => s.latencyMs)
    .sort((a, b) => a - b);
  const r = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    group,
    requests: samples.length,
    errors: samples.length - ok.length,
    p50Ms: r(percentile(ok, 0.5)),
    p99Ms: r(percentile(ok, 0.99)),
  };
}

function groupBy<K extends string>(samples: readonly Sample[], key: (s: Sample) => K): Map<K, Sample[]> {
  const out = new Map<K, Sample[]>();
  for (const s of samples) {
    const k = key(s);
    out.set(k, [...(out.get(k) ?? []), s]);
  }
  return out;
}

export function summarizeLoad(
  run: LoadRun,
  mode: string,
  cities: readonly City[],
  regionLocations: readonly GeoPoint[],
): LoadSummary {
  const { samples } = run;
  const near = new Set(
    cities.filter((c) => regionLocations.some((r) => haversineKm(c, r) <= NEAR_KM)).map((c) => c.name),
  );
  const servedBy: Record<string, Record<string, number>> = {};
  const errorKinds: Record<string, number> = {};
  for (const s of samples) {
    if (s.error !== null) errorKinds[s.error] = (errorKinds[s.error] ?? 0) + 1;
    else {
      const byRegion = (servedBy[s.continent] ??= {});
      const region = s.region ?? 'unknown';
      byRegion[region] = (byRegion[region] ?? 0) + 1;
    }
  }
  const byCity = [...groupBy(samples, (s) => s.city)].map(([city, list]) => {
    const served: Record<string, number> = {};
    for (const s of list) if (s.region !== null) served[s.region] = (served[s.region] ?? 0) + 1;
    return { ...row(city, list), target: list[0]!.target, servedBy: served };
  });
  byCity.sort((a, b) => b.requests - a.requests);
  return {
    mode,
    requests: samples.length,
    errors: samples.filter((s) => s.error !== null).length,
    skipped: run.skipped,
    elapsedMs: Math.round(run.elapsedMs),
    achievedRatePerSec: Math.round((samples.length / run.elapsedMs) * 1000 * 10) / 10,
    overall: row('all users', samples),
    nearRegion: row(
      `users within ${NEAR_KM} km of a region`,
      samples.filter((s) => near.has(s.city)),
    ),
    byContinent: [...groupBy(samples, (s) => s.continent)]
      .map(([continent, list]) => row(continent, list))
      .sort((a, b) => a.group.localeCompare(b.group)),
    byCity,
    servedBy,
    errorKinds,
  };
}

const CONTINENT_NAMES: Record<string, string> = {
  AF: 'Africa',
  AS: 'Asia',
  EU: 'Europe',
  NA: 'North America',
  OC: 'Oceania',
  SA: 'South America',
};

export function formatLoad(summary: LoadSummary): string {
  const ms = (v: number | null) => (v === null ? '-' : v.toFixed(1));
  const table = (rows: string[][]): string[] => {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    return rows.map((r) =>
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
    );
  };
  const regions = [...new Set(Object.values(summary.servedBy).flatMap((m) => Object.keys(m)))].sort();
  const latency = table([
    ['users', 'requests', 'p50 ms', 'p99 ms', 'errors', ...regions],
    ...[summary.nearRegion, ...summary.byContinent, summary.overall].map((r) => {
      const served = summary.servedBy[r.group] ?? {};
      const counts = regions.map((name) => (r.group in summary.servedBy ? String(served[name] ?? 0) : ''));
      return [
        CONTINENT_NAMES[r.group] ?? r.group,
        String(r.requests),
        ms(r.p50Ms),
        ms(r.p99Ms),
        String(r.errors),
        ...counts,
      ];
    }),
  ]);
  const cities = table([
    ['city', 'via', 'requests', 'p50 ms', 'served by'],
    ...summary.byCity.map((c) => [
      c.group,
      c.target,
      String(c.requests),
      ms(c.p50Ms),
      Object.entries(c.servedBy)
        .map(([r, n]) => `${r} ${n}`)
        .join(', '),
    ]),
  ]);
  const errors = Object.entries(summary.errorKinds).map(([kind, n]) => `${kind} ×${n}`);
  return [
    `${summary.mode}: ${summary.requests} requests in ${(summary.elapsedMs / 1000).toFixed(1)} s (${summary.achievedRatePerSec}/s)` +
      (summary.skipped > 0 ? `, ${summary.skipped} not sent (too many in flight)` : ''),
    '',
    'End-to-end latency per user group (the whole round trip the user sees), and which region served it:',
    ...latency,
    '',
    ...cities,
    '',
    errors.length === 0 ? 'errors: none' : `errors: ${errors.join(', ')}`,
  ].join('\n');
}

/** `[#######.............]  35%  sent 350  done 340  errors 0` */
export function progressBar(p: LoadProgress, width = 30): string {
  const fraction = Math.min(1, p.elapsedMs / p.durationMs);
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%  sent ${p.sent}  done ${p.done}  errors ${p.errors}`;
}
