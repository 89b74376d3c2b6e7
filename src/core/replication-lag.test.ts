import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changeLagMs } from './replication-lag.ts';
import { formatVersion } from './version.ts';

test('lag is now minus the version wall time, never below zero', () => {
  const version = formatVersion({ wall: 1_000_000, counter: 7 }, 'eu-west-1');
  assert.equal(changeLagMs(version, 1_000_120), 120);
  assert.equal(changeLagMs(version, 999_990), 0);
  assert.equal(changeLagMs('not-a-version', 5), undefined);
});
