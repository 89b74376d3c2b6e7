// Tests for placing virtual users: population-weighted cities, the nearest edge, the estimated leg, and
// the drill's analysis of what happened after a kill.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseDrill } from './drill.ts';
import type { Sample } from './load-run.ts';
import { formatLoad, progressBar, summarizeLoad } from './load-report.ts';
import { nearest, pickCity, populationIndex, userLeg, type Target } from './virtual-users.ts';
import { findCity, loadWorldCities } from './world-cities.ts';

const cities = loadWorldCities();
const edges: Target[] = [
  { name: 'tokyo', url: 'http://127.0.0.1:1', location: { lat: 35.6762, lon: 139.6503 } },
  { name: 'dublin', url: 'http://127.0.0.1:2', location: { lat: 53.3498, lon: -6.2603 } },
  { name: 'ashburn', url: 'http://127.0.0.1:3', location: { lat: 39.0438, lon: -77.4874 } },
];

test('cities are drawn in proportion to population', () => {
  const index = populationIndex(cities);
  const counts = new Map<string, number>();
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const city = pickCity(index, (i + 0.5) / n);
    counts.set(city.name, (counts.get(city.name) ?? 0) + 1);
  }
  const total = cities.reduce((s, c) => s + c.population, 0);
  for (const city of cities) {
    const expected = (city.population / total) * n;
    assert.ok(Math.abs((counts.get(city.name) ?? 0) - expected) <= 2, `${city.name}`);
  }
  assert.equal(pickCity(index, 0).name, cities[0]!.name);
  assert.equal(pickCity(index, 0.9999999).name, cities[cities.length - 1]!.name);
});

test('each user reaches the nearest edge over last mile + stretched fibre', () => {
  assert.equal(nearest(findCity(cities, 'Paris'), edges).name, 'dublin');
  assert.equal(nearest(findCity(cities, 'Osaka'), edges).name, 'tokyo');
  assert.equal(nearest(findCity(cities, 'Sao Paulo'), edges).name, 'ashburn');
  const tokyo = userLeg(findCity(cities, 'Tokyo'), edges, 1.75, 10);
  assert.equal(tokyo.rttMs, 10);
  const paris = userLeg(findCity(cities, 'Paris'), edges, 1.75, 10);
  // Paris - Dublin ~780 km: floor 7.8 ms, x1.75 = 13.7 ms, + 10 ms last mile.
  assert.ok(paris.rttMs > 23 && paris.rttMs < 24.5, String(paris.rttMs));
});

const sample = (over: Partial<Sample>): Sample => ({
  city: 'Paris',
  country: 'FR',
  continent: 'EU',
  target: 'dublin',
  arrivedAtMs: 0,
  latencyMs: 20,
  legRttMs: 20,
  status: 200,
  region: 'eu-west-1',
  route: 'latency',
  retriedFrom: null,
  error: null,
  ...over,
});

test('the drill: recovery is the last failed or retried request after the kill', () => {
  const samples = [
    sample({ arrivedAtMs: 900 }),
    sample({ arrivedAtMs: 1010, region: 'us-east-1', retriedFrom: 'eu-west-1', route: 'retry' }),
    sample({ arrivedAtMs: 1200, region: null, status: null, error: 'UND_ERR_SOCKET' }),
    sample({ arrivedAtMs: 1300, region: 'us-east-1' }),
    sample({ arrivedAtMs: 1400, region: 'us-east-1', city: 'Tokyo' }),
  ];
  const r = analyseDrill(samples, 'eu-west-1', 1000, 1234);
  assert.equal(r.recoveredAfterMs, 200);
  assert.equal(r.failed, 1);
  assert.equal(r.retried, 1);
  assert.equal(r.requestsAfterKill, 4);
  assert.deepEqual(r.servedAfter, { 'us-east-1': 2 });
  assert.equal(
    analyseDrill([sample({ arrivedAtMs: 2000, region: 'us-east-1' })], 'eu-west-1', 1000, null)
      .recoveredAfterMs,
    0,
  );
});

test('the report groups by continent and by users near a region', () => {
  const run = {
    samples: [
      sample({ latencyMs: 10 }),
      sample({ latencyMs: 30 }),
      sample({ city: 'Lagos', continent: 'AF', latencyMs: 100, region: 'eu-west-1' }),
      sample({ city: 'Lagos', continent: 'AF', error: 'HTTP 502', status: 502, region: null }),
    ],
    startedAt: 0,
    elapsedMs: 1000,
    skipped: 0,
  };
  const s = summarizeLoad(run, 'test', cities, [{ lat: 53.3498, lon: -6.2603 }]);
  assert.equal(s.nearRegion.requests, 2);
  assert.equal(s.nearRegion.p50Ms, 10);
  assert.deepEqual(
    s.byContinent.map((r) => [r.group, r.requests, r.errors]),
    [
      ['AF', 2, 1],
      ['EU', 2, 0],
    ],
  );
  assert.deepEqual(s.servedBy, { EU: { 'eu-west-1': 2 }, AF: { 'eu-west-1': 1 } });
  assert.deepEqual(s.errorKinds, { 'HTTP 502': 1 });
  assert.match(formatLoad(s), /Africa\s+2\s+100\.0\s+100\.0\s+1/);
  assert.match(
    progressBar({ elapsedMs: 500, durationMs: 1000, sent: 5, done: 4, errors: 0 }, 10),
    /^\[#####\.\.\.\.\.\]  50%/,
  );
});
