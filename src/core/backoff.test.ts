import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { backoffDelayMs } from './backoff.ts';

const policy = { initialMs: 100, maxMs: 5000 };

test('doubles per attempt up to the ceiling, with half of each delay random', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 6, 7, 100].map((a) => backoffDelayMs(a, () => 0, policy)),
    [50, 100, 200, 400, 2500, 2500, 2500],
  );
  assert.equal(
    backoffDelayMs(0, () => 0.999999, policy),
    100,
  );
  assert.equal(
    backoffDelayMs(10, () => 0.999999, policy),
    5000,
  );
});

test('stays within [ceiling / 2, ceiling] for any attempt and random value', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -5, max: 2000 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (attempt, r) => {
        const delay = backoffDelayMs(attempt, () => r, policy);
        const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, Math.min(attempt, 30)));
        assert.ok(delay >= ceiling / 2 - 0.5 && delay <= ceiling + 0.5, `${attempt}: ${delay}`);
      },
    ),
  );
});
