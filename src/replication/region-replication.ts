// Replication for one region, wired in one place for the region node and the simulator alike: the
// notifying store, the region clock, the progress matrix, the source that serves peers, the replicator
// that pulls and the collector that truncates the log and purges tombstones.

import type { Clock } from '../core/clock.ts';
import type { Store } from '../store/store.ts';
import { loadRegionClock } from './highest-version.ts';
import { createLogCollector, type LogCollector } from './log-collector.ts';
import { createLogNotifier, notifyingStore } from './log-notifier.ts';
import { createProgressTracker, type ProgressTracker } from './progress-tracker.ts';
import type { RegionClock } from './region-clock.ts';
import { createRegionConsistency, type RegionConsistency } from './region-consistency.ts';
import type { ReplicationSource, ReplicationTransport } from './replication-port.ts';
import { createReplicationSource } from './replication-source.ts';
import { createReplicator, type Replicator, type ReplicatorStats } from './replicator.ts';
import type { ReplicatorEvent } from './replicator-events.ts';
import type { ReplicatorTuning } from './replicator-tuning.ts';
import type { RetentionTuning } from './retention-tuning.ts';
import type { SourceTuning } from './source-tuning.ts';

export interface RegionReplicationOptions {
  readonly region: string;
  /** The region's durable store. Everything else (documents included) must use `replication.store`. */
  readonly store: Store;
  readonly transport: ReplicationTransport;
  readonly upstream: readonly string[];
  /**
   * Every configured region, this one included: the log is collected only once each of them is known
   * to have what is collected (a region never heard of blocks collection).
   */
  readonly regions: readonly string[];
  /** Physical time and sleeps: systemClock in a node, virtual time in the simulator. */
  readonly clock: Clock;
  readonly random: () => number;
  readonly maxClockOffsetMs: number;
  /** A clock to use instead of one loaded from the store (it must already be past the store's versions). */
  readonly regionClock?: RegionClock;
  readonly sourceTuning?: Partial<SourceTuning>;
  readonly replicatorTuning?: Partial<ReplicatorTuning>;
  readonly retentionTuning?: Partial<RetentionTuning>;
  /**
   * False while the region must not vouch for its own changes (rebuilding after it lost its store): it
   * sends no closed timestamp of its own then. Default: always current.
   */
  readonly isCurrent?: () => boolean;
  /** Replicator, source and collector events; it must not throw. */
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
  readonly progress: ProgressTracker;
  /** Waits for session positions, sync acknowledgements and closed timestamps. */
  readonly consistency: RegionConsistency;
  readonly collector: LogCollector;
  start(): void;
  /** Stops pulling and collecting; streams this region serves end when their signals abort. Idempotent. */
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
  const progress = createProgressTracker({ region, regions: options.regions, store, regionClock });
  const consistency = createRegionConsistency({ region, store, appends: notifier, progress, clock });
  const source = createReplicationSource({
    region,
    store,
    appends: notifier,
    clock,
    progress,
    // A copy: a batch carries what was closed when it was cut. The clock ticks first, so an idle region's
    // own closed timestamp follows physical time (its later writes get larger versions anyway).
    closed: () => {
      if (options.isCurrent?.() === false) return { ...consistency.closed() };
      regionClock.tick();
      return { ...consistency.closed(), [region]: regionClock.current().wall };
    },
    urgent: () => consistency.awaitingAcks,
    tuning: options.sourceTuning,
    onEvent: options.onEvent,
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
    progress,
    onClosed: (closed) => consistency.learnClosed(closed),
    onEvent: options.onEvent,
  });
  const collector = createLogCollector({
    store,
    progress,
    clock,
    tuning: options.retentionTuning,
    onEvent: options.onEvent,
  });
  return {
    store,
    regionClock,
    source,
    replicator,
    progress,
    consistency,
    collector,
    start() {
      replicator.start();
      collector.start();
    },
    async stop() {
      await Promise.all([replicator.stop(), collector.stop()]);
    },
    stats: () => replicator.stats(),
  };
}
