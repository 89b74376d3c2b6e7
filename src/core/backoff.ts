// Reconnect delays: exponential backoff with jitter, so peers that lost a link do not retry in lockstep
// (the "equal jitter" variant from the AWS Architecture Blog, "Exponential Backoff and Jitter", 2015).

export interface BackoffPolicy {
  /** The delay ceiling before jitter, for the first retry. */
  readonly initialMs: number;
  /** No delay exceeds this. */
  readonly maxMs: number;
}

/**
 * The delay before retry number `attempt` (0 for the first): the ceiling min(max, initial * 2^attempt),
 * of which a random half is jitter. `random` returns [0, 1).
 */
export function backoffDelayMs(attempt: number, random: () => number, policy: BackoffPolicy): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
