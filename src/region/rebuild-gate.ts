// Keeps a region that starts with an empty store (new, or wiped) from taking writes until it has its own
// past changes back from its peers. Its next write takes the next sequence number of its origin: issued
// before the old ones returned, it would reuse a number the peers already hold, and they would discard
// it as a duplicate — a lost write.

import { MeridianError } from '../core/errors.ts';

export interface RebuildGate {
  /** True once writes are safe. */
  readonly open: boolean;
  /** A peer's stream opened and told us its applied vector. */
  onConnected(peer: string, senderApplied: Readonly<Record<string, number>>, now: number): void;
  /** A change was applied here (its origin and seq). */
  onApplied(origin: string, originSeq: number, now: number): void;
  /** Lets the grace period end without an event (called on a timer). */
  tick(now: number): void;
  /** Throws a 503 while rebuilding. */
  check(): void;
  describe(): string;
}

export interface RebuildGateOptions {
  readonly region: string;
  readonly peers: readonly string[];
  /** Whether the store was empty at start (nothing to rebuild otherwise). */
  readonly rebuilding: boolean;
  /** After the first peer answered, wait at most this long for the others before trusting what we have. */
  readonly graceMs: number;
}

export function createRebuildGate(options: RebuildGateOptions): RebuildGate {
  const greeted = new Set<string>();
  let firstGreetingAt: number | undefined;
  let target = 0;
  let own = 0;
  let open = !options.rebuilding || options.peers.length === 0;

  function evaluate(now: number): void {
    if (open || firstGreetingAt === undefined) return;
    const heardEnough = greeted.size === options.peers.length || now - firstGreetingAt >= options.graceMs;
    if (heardEnough && own >= target) open = true;
  }

  return {
    get open() {
      return open;
    },
    onConnected(peer, senderApplied, now) {
      greeted.add(peer);
      firstGreetingAt ??= now;
      target = Math.max(target, senderApplied[options.region] ?? 0);
      evaluate(now);
    },
    onApplied(origin, originSeq, now) {
      if (origin === options.region) own = Math.max(own, originSeq);
      evaluate(now);
    },
    tick: evaluate,
    check() {
      if (open) return;
      throw new MeridianError(
        'unavailable',
        `region ${options.region} is rebuilding its data from its peers (${this.describe()}); retry shortly`,
        {
          details: { region: options.region, recovered: own, target },
        },
      );
    },
    describe() {
      if (firstGreetingAt === undefined) return 'waiting for a peer to answer';
      return `${own} of ${target} of its own changes recovered, ${greeted.size} of ${options.peers.length} peers heard`;
    },
  };
}
