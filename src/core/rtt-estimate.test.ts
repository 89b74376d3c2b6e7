// Tests for RTT estimates from distance: the stretch of measured paths over the fibre floor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLatencyMatrix } from './latency-matrix.ts';
import { estimateRttMs, pathStretch } from './rtt-estimate.ts';

const locations = new Map([
  ['a', { lat: 0, lon: 0 }],
  ['b', { lat: 0, lon: 90 }],
  ['c', { lat: 0, lon: 180 }],
  ['d', { lat: 0, lon: 0.001 }],
]);

test('the stretch is the median ratio of measured RTT to the floor, skipping very close pairs', () => {
  const floorAB = createLatencyMatrix({ rtt: {}, locations }).floorRttMs('a', 'b');
  const matrix = createLatencyMatrix({
    rtt: { a: { b: floorAB * 2, c: floorAB * 2 * 1.5, d: 50 }, b: { c: floorAB * 3 } },
    locations,
  });
  assert.ok(Math.abs(pathStretch(matrix) - 2) < 1e-3, String(pathStretch(matrix)));
  assert.equal(pathStretch(createLatencyMatrix({ rtt: {}, locations })), 2);
});

test('an estimate is the floor times the stretch', () => {
  const paris = { lat: 48.8566, lon: 2.3522 };
  const tokyo = { lat: 35.6762, lon: 139.6503 };
  const est = estimateRttMs(paris, tokyo, 1.75);
  // ~9,700 km: floor ~97 ms, estimate ~170 ms (measured eu-west-3 <-> ap-northeast-1 is ~220 ms).
  assert.ok(est > 160 && est < 180, String(est));
  assert.equal(estimateRttMs(paris, paris, 1.75), 0);
});
