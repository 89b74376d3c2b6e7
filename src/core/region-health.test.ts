// Tests for a router's region health: thresholds up and down, definite failures, passive ejection, RTT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  healthRttMs,
  isRoutable,
  recordCheck,
  recordRequest,
  UNKNOWN_HEALTH,
  type HealthThresholds,
} from './region-health.ts';

const t: HealthThresholds = {
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  ejectAfterErrors: 3,
  ejectForMs: 5000,
};
const ok = (rttMs = 10) => ({ ok: true as const, rttMs });
const timeout = { ok: false as const, error: 'timeout', definite: false };
const refused = { ok: false as const, error: 'ECONNREFUSED', definite: true };

test('the first check decides at once', () => {
  assert.equal(recordCheck(UNKNOWN_HEALTH, ok(), 0, t).healthy, true);
  assert.equal(recordCheck(UNKNOWN_HEALTH, timeout, 0, t).healthy, false);
  assert.equal(isRoutable(UNKNOWN_HEALTH, 0), false);
});

test('transient failures need the down threshold; a refused connection is enough alone', () => {
  let s = recordCheck(UNKNOWN_HEALTH, ok(), 0, t);
  s = recordCheck(s, timeout, 1, t);
  s = recordCheck(s, timeout, 2, t);
  assert.equal(s.healthy, true);
  s = recordCheck(s, timeout, 3, t);
  assert.equal(s.healthy, false);
  assert.equal(s.changedAt, 3);
  const r = recordCheck(recordCheck(UNKNOWN_HEALTH, ok(), 0, t), refused, 1, t);
  assert.equal(r.healthy, false);
});

test('coming back needs the up threshold', () => {
  let s = recordCheck(UNKNOWN_HEALTH, refused, 0, t);
  s = recordCheck(s, ok(), 1, t);
  assert.equal(s.healthy, false);
  s = recordCheck(s, ok(), 2, t);
  assert.equal(s.healthy, true);
});

test('consecutive request errors eject for a while; a success resets the count', () => {
  let s = recordCheck(UNKNOWN_HEALTH, ok(), 0, t);
  s = recordRequest(s, false, 10, t);
  s = recordRequest(s, false, 11, t);
  s = recordRequest(s, true, 12, t);
  s = recordRequest(s, false, 13, t);
  s = recordRequest(s, false, 14, t);
  assert.equal(isRoutable(s, 14), true);
  s = recordRequest(s, false, 15, t);
  assert.equal(isRoutable(s, 15), false);
  assert.equal(isRoutable(s, 5014), false);
  assert.equal(isRoutable(s, 5015), true);
});

test('RTT is the median of the last five checks', () => {
  let s = UNKNOWN_HEALTH;
  assert.equal(healthRttMs(s), null);
  for (const rtt of [100, 10, 12, 11, 13, 9]) s = recordCheck(s, ok(rtt), 0, t);
  assert.equal(healthRttMs(s), 11);
});
