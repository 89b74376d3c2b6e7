// Drives async code in virtual time: fire one timer, then let every promise it resolved run to its
// next wait before firing the next, so the interleaving depends only on the timers.

import { setImmediate as macrotask } from 'node:timers/promises';
import type { VirtualClock } from './virtual-clock.ts';

/**
 * Lets all pending promise callbacks run. Code under simulation uses no real timers or I/O, so once a
 * macrotask turn comes round the microtask queue has drained completely.
 */
export async function settle(): Promise<void> {
  await macrotask();
}

/** Fires timers in order until virtual time `until` (settling after each), then moves now to `until`. */
export async function runUntil(clock: VirtualClock, until: number): Promise<number> {
  let fired = 0;
  await settle();
  while (clock.fireNext(until)) {
    fired++;
    await settle();
  }
  clock.advanceTo(until);
  return fired;
}
