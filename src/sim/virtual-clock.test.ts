import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runUntil } from './drive.ts';
import { createVirtualClock } from './virtual-clock.ts';

test('timers fire in time order, equal times in the order they were set', () => {
  const clock = createVirtualClock(100);
  const fired: string[] = [];
  clock.at(130, () => fired.push('c'));
  clock.at(110, () => fired.push('a'));
  clock.at(130, () => fired.push('d'));
  clock.at(50, () => fired.push('b (late: runs now)'));
  while (clock.fireNext(1000)) fired.push(`@${clock.now()}`);
  assert.deepEqual(fired, ['b (late: runs now)', '@100', 'a', '@110', 'c', '@130', 'd', '@130']);
});

test('fireNext stops at the horizon; advanceTo only moves forward', () => {
  const clock = createVirtualClock(0);
  clock.at(500, () => undefined);
  assert.equal(clock.fireNext(499), false);
  assert.equal(clock.now(), 0);
  clock.advanceTo(300);
  clock.advanceTo(200);
  assert.equal(clock.now(), 300);
  assert.equal(clock.pending(), 1);
});

test('sleep resolves at its time, or at once when its signal aborts (and is then forgotten)', async () => {
  const clock = createVirtualClock(0);
  const woke: string[] = [];
  const abort = new AbortController();
  void clock.sleep(100).then(() => woke.push(`plain@${clock.now()}`));
  void clock.sleep(50, abort.signal).then(() => woke.push(`aborted@${clock.now()}`));
  await runUntil(clock, 10);
  abort.abort();
  await runUntil(clock, 20);
  assert.deepEqual(woke, ['aborted@10']);
  assert.equal(clock.pending(), 1);
  const fired = await runUntil(clock, 1000);
  assert.deepEqual(woke, ['aborted@10', 'plain@100']);
  assert.equal(fired, 1);
  assert.equal(clock.now(), 1000);
  await clock.sleep(5, abort.signal);
});
