// The Clock port: wall-clock time and cancellable sleeps, injected so protocol loops run in real time
// (system-clock.ts) or in the simulator's virtual time with the same code.

export interface Clock {
  /** Physical time in ms since the epoch. May jump (a stepped system clock, a skewed region). */
  now(): number;
  /** Resolves after `ms` ms, or as soon as `signal` aborts. Never rejects, so callers check the signal. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
