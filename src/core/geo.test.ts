// Tests for great-circle distance and the fibre floor: known city pairs and metric properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EARTH_RADIUS_KM, fibreFloorRttMs, haversineKm } from './geo.ts';
import type { GeoPoint } from './geo.ts';

const ashburn: GeoPoint = { lat: 39.0438, lon: -77.4874 };
const tokyo: GeoPoint = { lat: 35.6762, lon: 139.6503 };
const dublin: GeoPoint = { lat: 53.3498, lon: -6.2603 };
const london: GeoPoint = { lat: 51.5074, lon: -0.1278 };
const paris: GeoPoint = { lat: 48.8566, lon: 2.3522 };

function assertNear(actual: number, expected: number, tolerance: number, label: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${label}: expected ${expected} ± ${tolerance}, got ${actual}`,
  );
}

test('haversineKm matches known city distances', () => {
  assertNear(haversineKm(london, paris), 343.5, 1, 'London-Paris');
  // The same figures as ../shared/data/aws-rtt-floor-vs-measured.csv (us-east-1 to ap-northeast-1, eu-west-1).
  assertNear(haversineKm(ashburn, tokyo), 10874, 1, 'Ashburn-Tokyo');
  assertNear(haversineKm(ashburn, dublin), 5461, 1, 'Ashburn-Dublin');
});

test('haversineKm is zero for one point and half the circumference for antipodes', () => {
  assert.equal(haversineKm(tokyo, tokyo), 0);
  assertNear(
    haversineKm({ lat: 0, lon: 0 }, { lat: 0, lon: 180 }),
    Math.PI * EARTH_RADIUS_KM,
    1e-6,
    'antipodes',
  );
  assertNear(
    haversineKm({ lat: 90, lon: 0 }, { lat: -90, lon: 0 }),
    Math.PI * EARTH_RADIUS_KM,
    1e-6,
    'poles',
  );
});

test('fibreFloorRttMs is 2·d / 200,000 km/s, i.e. km / 100', () => {
  assert.equal(fibreFloorRttMs(0), 0);
  assert.equal(fibreFloorRttMs(1000), 10);
  assertNear(fibreFloorRttMs(haversineKm(ashburn, tokyo)), 108.7, 0.1, 'us-east-1/ap-northeast-1 floor');
  assertNear(fibreFloorRttMs(haversineKm(ashburn, dublin)), 54.6, 0.1, 'us-east-1/eu-west-1 floor');
});

const point = fc.record({
  lat: fc.double({ min: -90, max: 90, noNaN: true }),
  lon: fc.double({ min: -180, max: 180, noNaN: true }),
});

test('haversineKm is symmetric, bounded by half the circumference, and obeys the triangle inequality', () => {
  fc.assert(
    fc.property(point, point, point, (a, b, c) => {
      const ab = haversineKm(a, b);
      assertNear(ab, haversineKm(b, a), 1e-6, 'symmetry');
      assert.ok(ab >= 0 && ab <= Math.PI * EARTH_RADIUS_KM + 1e-3, `out of range: ${ab}`);
      // Near antipodes asin loses precision (about 1e-4 km): a metre of slack, far below any real distance.
      assert.ok(ab <= haversineKm(a, c) + haversineKm(c, b) + 1e-3, 'triangle inequality');
    }),
  );
});
