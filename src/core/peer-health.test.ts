import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EMPTY_PROBE_STATE,
  isPeerHealthy,
  peerRttMs,
  recordProbeError,
  recordProbeOk,
} from './peer-health.ts';

test('a peer never probed is unhealthy and has no RTT', () => {
  assert.equal(isPeerHealthy(EMPTY_PROBE_STATE, 0, 1500), false);
  assert.equal(peerRttMs(EMPTY_PROBE_STATE), undefined);
});

test('healthy after a probe, unhealthy once it is too old or a probe fails', () => {
  const ok = recordProbeOk(EMPTY_PROBE_STATE, 1000, 70);
  assert.equal(isPeerHealthy(ok, 1000, 1500), true);
  assert.equal(isPeerHealthy(ok, 2499, 1500), true);
  assert.equal(isPeerHealthy(ok, 2500, 1500), false);
  const failed = recordProbeError(ok, 'ECONNREFUSED');
  assert.equal(isPeerHealthy(failed, 1001, 1500), false);
  assert.equal(isPeerHealthy(recordProbeOk(failed, 1200, 71), 1300, 1500), true);
});

test('RTT is the median of the last five probes', () => {
  let s = EMPTY_PROBE_STATE;
  for (const rtt of [70, 71, 500, 69, 72, 70]) s = recordProbeOk(s, 0, rtt);
  assert.deepEqual(s.recentRttMs, [71, 500, 69, 72, 70]);
  assert.equal(peerRttMs(s), 71);
  assert.equal(peerRttMs(recordProbeOk(recordProbeOk(EMPTY_PROBE_STATE, 0, 10), 0, 20)), 15);
});
