// Replication for one region, wired in one place for the region node and the simulator alike: the
// notifying store, the region clock, the source that serves peers and the replicator that pulls.

import type { Clock } from '../core/clock.ts';
import type { Store } from '../store/store.ts';
import { loadRegionClock } from './highest-version.ts';
import { createLogNotifier, notifyingStore } from './log-notifier.ts';
import type { RegionClock } from './region-clock.ts';
import type { ReplicationSource, ReplicationTransport } from './replication-port.ts';
import { createReplicationSource } from './replication-source.ts';
import { createReplicator, type Replicator, type ReplicatorStats } from './replicator.ts';
import type { ReplicatorEvent } from './replicator-events.ts';
import type { ReplicatorTuning } from './replicator-tuning.ts';
import type { SourceTuning } from './source-tuning.ts';

export interface RegionReplicationOptions {
  readonly region: string;
  /** The region's durable store. Everything else (documents included) must use `replication.store`. */
  readonly store: Store;
  readonly transport: ReplicationTransport;
  readonly upstream: readonly string[];
  /** Physical time and sleeps: systemClock in a node, virtual time in the simulator. */
  readonly clock: Clock;
  readonly random: () => number;
  readonly maxClockOffsetMs: number;
  /** A clock to use instead of one loaded from the store (it must already be past the store's versions). */
  readonly regionClock?: RegionClock;
  readonly sourceTuning?: Partial<SourceTuning>;
  readonly replicatorTuning?: Partial<ReplicatorTuning>;
  readonly onEvent?: (event: ReplicatorEvent) => void;
}

export interface RegionReplication {
  /** The store to write through: it wakes the source on every append. */
  readonly store: Store;
  /** Tick it for every local write (see RegionClock.tick). */
  readonly regionClock: RegionClock;
  /** Serves this region's log to peers (the network transport's server side calls serve()). */
  readonly source: ReplicationSource;
  readonly replicator: Replicator;
  start(): void;
  /** Stops pulling; streams this region serves end when their signals abort. Idempotent. */
  stop(): Promise<void>;
  stats(): ReplicatorStats;
}

export async function openRegionReplication(options: RegionReplicationOptions): Promise<RegionReplication> {
  const { region, clock } = options;
  const notifier = createLogNotifier();
  const store = notifyingStore(options.store, notifier);
  const regionClock =
    options.regionClock ??
    (await loadRegionClock(store, { region, now: () => clock.now(), maxOffsetMs: options.maxClockOffsetMs }));
  const source = createReplicationSource({
    region,
    store,
    appends: notifier,
    clock,
    tuning: options.sourceTuning,
  });
  const replicator = createReplicator({
    region,
    store,
    transport: options.transport,
    upstream: options.upstream,
    regionClock,
    clock,
    random: options.random,
    tuning: options.replicatorTuning,
    onEvent: options.onEvent,
  });
  return {
    store,
    regionClock,
    source,
    replicator,
    start: () => replicator.start(),
    stop: () => replicator.stop(),
    stats: () => replicator.stats(),
  };
}
