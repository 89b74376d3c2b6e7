// Tests for the latency matrix on a small fixture (the real data is checked in src/control/wan-data.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLatencyMatrix } from './latency-matrix.ts';
import type { GeoPoint } from './geo.ts';

const locations = new Map<string, GeoPoint>([
  ['east', { lat: 39.0438, lon: -77.4874 }],
  ['tokyo', { lat: 35.6762, lon: 139.6503 }],
]);
const matrix = createLatencyMatrix({
  rtt: {
    east: { east: 5, tokyo: 150, lonely: 80 },
    tokyo: { east: 149, tokyo: 2.5 },
  },
  locations,
});

test('rttMs is the mean of both directions, the same either way round', () => {
  assert.equal(matrix.rttMs('east', 'tokyo'), 149.5);
  assert.equal(matrix.rttMs('tokyo', 'east'), 149.5);
});

test('rttMs uses the one measured direction when the other is missing', () => {
  assert.equal(matrix.rttMs('east', 'lonely'), 80);
  assert.equal(matrix.rttMs('lonely', 'east'), 80);
});

test('rttMs of a region to itself is the intra-region figure', () => {
  assert.equal(matrix.rttMs('east', 'east'), 5);
  assert.equal(matrix.rttMs('tokyo', 'tokyo'), 2.5);
});

test('rttMs is undefined for a pair that was never measured', () => {
  assert.equal(matrix.rttMs('tokyo', 'lonely'), undefined);
  assert.equal(matrix.rttMs('nowhere', 'east'), undefined);
});

test('rttMs rounds the mean to the microsecond', () => {
  const m = createLatencyMatrix({ rtt: { a: { b: 149.3758 }, b: { a: 149.152 } }, locations: new Map() });
  assert.equal(m.rttMs('a', 'b'), 149.264);
});

test('floorRttMs comes from the locations and is 0 when one is unknown', () => {
  const floor = matrix.floorRttMs('east', 'tokyo');
  assert.ok(Math.abs(floor - 108.74) < 0.01, `floor ${floor}`);
  assert.equal(matrix.floorRttMs('tokyo', 'east'), floor);
  assert.equal(matrix.floorRttMs('east', 'lonely'), 0);
  assert.equal(matrix.floorRttMs('east', 'east'), 0);
});

test('regions lists every measured region once, sorted', () => {
  assert.deepEqual(matrix.regions(), ['east', 'lonely', 'tokyo']);
});
