// The open-loop load generator: request i is due at start + i / rate, whatever the answers do (a slow
// answer does not delay the next request), with a bounded count and a bound on requests in flight.

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export interface OpenLoopOptions {
  readonly ratePerSec: number;
  readonly durationMs: number;
  /** While this many requests are in flight the next one waits (and leaves late). */
  readonly maxInFlight: number;
  /** Sends request `index` and records its outcome; a rejection is counted, not thrown. */
  readonly send: (index: number) => Promise<void>;
}

export interface OpenLoopRun {
  /** ratePerSec × durationMs: every request is sent. */
  readonly sent: number;
  /** Requests whose `send` rejected (a bug in the caller's recording, not a failed request). */
  readonly rejected: number;
  /** How late requests left against their schedule (the load generator's own delay), ms. */
  readonly lateMs: { readonly p99: number; readonly max: number };
  /** From the first request due to the last one settled. */
  readonly elapsedMs: number;
}

export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopRun> {
  const count = Math.max(0, Math.floor((options.ratePerSec * options.durationMs) / 1000));
  const gapMs = 1000 / options.ratePerSec;
  const pending: Promise<void>[] = [];
  const late: number[] = [];
  let inFlight = 0;
  let rejected = 0;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + i * gapMs;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait);
    while (inFlight >= options.maxInFlight) await sleep(1);
    late.push(Math.max(0, performance.now() - due));
    inFlight++;
    pending.push(
      options
        .send(i)
        .catch(() => {
          rejected++;
        })
        .finally(() => {
          inFlight--;
        }),
    );
  }
  await Promise.all(pending);
  const sorted = late.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return {
    sent: count,
    rejected,
    lateMs: { p99: at(0.99), max: sorted.at(-1) ?? 0 },
    elapsedMs: performance.now() - start,
  };
}
