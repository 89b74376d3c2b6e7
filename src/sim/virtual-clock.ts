// Virtual time: a Clock whose sleeps are timers in a heap, fired one at a time by a driver. Nothing
// happens between timers, so a run takes as long as its work, not as long as its delays.

import type { Clock } from '../core/clock.ts';
import { TimerHeap, type Timer } from './timer-heap.ts';

export interface VirtualClock extends Clock {
  /** Virtual time in ms. */
  now(): number;
  /** Runs `fire` at virtual time `time` (now, if earlier). */
  at(time: number, fire: () => void): void;
  /** Fires the earliest timer due at or before `until` and moves now to it; false when there is none. */
  fireNext(until: number): boolean;
  /** Moves now forward to `time` (never backwards) without firing anything. */
  advanceTo(time: number): void;
  /** Timers not yet fired or cancelled. */
  pending(): number;
}

export function createVirtualClock(startMs = 0): VirtualClock {
  const heap = new TimerHeap();
  let now = startMs;
  let seq = 0;
  let live = 0;

  function schedule(time: number, fire: () => void): Timer {
    const timer: Timer = { time: Math.max(now, time), seq: seq++, fire, cancelled: false };
    heap.push(timer);
    live++;
    return timer;
  }

  return {
    now: () => now,
    at(time, fire) {
      schedule(time, fire);
    },
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const onAbort = () => {
          if (timer.cancelled) return;
          timer.cancelled = true;
          live--;
          resolve();
        };
        const timer = schedule(now + Math.max(0, ms), () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    fireNext(until) {
      for (;;) {
        const next = heap.peek();
        if (next === undefined || next.time > until) return false;
        heap.pop();
        if (next.cancelled) continue;
        live--;
        now = next.time;
        next.fire();
        return true;
      }
    },
    advanceTo(time) {
      now = Math.max(now, time);
    },
    pending: () => live,
  };
}
