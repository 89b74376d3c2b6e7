// A wake-up for one waiting loop: ring() from anywhere (an append, a timer, an abort), wait() in the
// loop. A ring with nobody waiting is remembered, so a wake-up between a check and a wait is not lost.

export interface Doorbell {
  /** A plain function, so it can be handed to listeners as it is. */
  readonly ring: () => void;
  /** Resolves at the next ring, or at once if it rang since the last wait or reset. */
  wait(): Promise<void>;
  /** Forgets earlier rings: call before checking for work, then wait if there is none. */
  reset(): void;
}

export function createDoorbell(): Doorbell {
  let rung = false;
  let waiter: (() => void) | undefined;
  return {
    ring: () => {
      const wake = waiter;
      waiter = undefined;
      if (wake === undefined) rung = true;
      else wake();
    },
    wait() {
      if (rung) {
        rung = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => (waiter = resolve));
    },
    reset() {
      rung = false;
    },
  };
}
