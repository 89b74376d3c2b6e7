// The replicator of one region: a pull loop per upstream peer that applies the peer's log entries
// exactly once, merges their timestamps into the region clock, and reconnects with backoff.

import { backoffDelayMs } from '../core/backoff.ts';
import type { Clock } from '../core/clock.ts';
import { ErrorCode, MeridianError } from '../core/errors.ts';
import type { Store } from '../store/store.ts';
import { emptyPeerStats, snapshotPeerStats, type MutablePeerStats, type PeerStats } from './peer-stats.ts';
import type { ProgressTracker } from './progress-tracker.ts';
import { runPullSession } from './pull-session.ts';
import type { RegionClock } from './region-clock.ts';
import type { ReplicationTransport } from './replication-port.ts';
import { describeDisconnect, type ReplicatorEvent } from './replicator-events.ts';
import { resolveReplicatorTuning, type ReplicatorTuning } from './replicator-tuning.ts';

export interface ReplicatorOptions {
  readonly region: string;
  /** The region's store; wrap it with notifyingStore so applied changes wake this region's source. */
  readonly store: Store;
  readonly transport: ReplicationTransport;
  /** The peers to pull from (see upstreamPeers in core/topology.ts). */
  readonly upstream: readonly string[];
  /** The region's hybrid clock, shared with local writes; it holds the max clock offset. */
  readonly regionClock: RegionClock;
  /** Physical time (for lag) and sleeps (backoff, idle detection). */
  readonly clock: Clock;
  /** [0, 1), for backoff jitter. */
  readonly random: () => number;
  readonly tuning?: Partial<ReplicatorTuning>;
  /** The region's progress matrix, fed with what each peer knows (see ReplicationBatch.progress). */
  readonly progress?: ProgressTracker;
  /** Told of the closed timestamps of every batch applied whole (see ReplicationBatch.closed). */
  readonly onClosed?: (closed: Readonly<Record<string, number>>) => void;
  /** Called synchronously for every event; it must not throw (an error is ignored). */
  readonly onEvent?: (event: ReplicatorEvent) => void;
}

export interface ReplicatorStats {
  readonly region: string;
  readonly peers: readonly PeerStats[];
}

export interface Replicator {
  readonly region: string;
  readonly regionClock: RegionClock;
  /** Starts one pull loop per upstream peer. Calling it again does nothing. */
  start(): void;
  /** Stops every loop and waits for them to finish. Safe to call twice, or before start. */
  stop(): Promise<void>;
  stats(): ReplicatorStats;
}

export function createReplicator(options: ReplicatorOptions): Replicator {
  const { region, store, transport, regionClock, clock, random } = options;
  const upstream = checkUpstream(region, options.upstream);
  const tuning = resolveReplicatorTuning(options.tuning);
  const peers = new Map<string, MutablePeerStats>(upstream.map((peer) => [peer, emptyPeerStats(peer)]));
  const stopping = new AbortController();
  let loops: Promise<void> | undefined;

  function emit(event: ReplicatorEvent): void {
    try {
      options.onEvent?.(event);
    } catch {
      // A failing listener (a metrics bug) must not stop replication.
    }
  }

  async function pullLoop(peer: string, stats: MutablePeerStats): Promise<void> {
    const signal = stopping.signal;
    const context = {
      region,
      peer,
      store,
      transport,
      regionClock,
      clock,
      stats,
      emit,
      idleTimeoutMs: tuning.idleTimeoutMs,
      progress: options.progress,
      onClosed: options.onClosed,
    };
    let attempt = 0;
    while (!signal.aborted) {
      const { reason, healthy } = await runPullSession(context, signal);
      if (reason.kind === 'stopped') break;
      stats.disconnects++;
      stats.lastError = describeDisconnect(reason);
      // A stream that worked and merely broke is retried promptly; repeated failures, refused clocks and
      // gaps back off, so a peer whose clock is ahead is not hammered until ours catches up.
      attempt = healthy ? 0 : attempt + 1;
      const retryInMs = backoffDelayMs(attempt, random, {
        initialMs: tuning.backoffInitialMs,
        maxMs: tuning.backoffMaxMs,
      });
      emit({ type: 'disconnected', peer, reason, retryInMs });
      await clock.sleep(retryInMs, signal);
    }
    emit({ type: 'disconnected', peer, reason: { kind: 'stopped' } });
  }

  return {
    region,
    regionClock,
    start() {
      if (loops !== undefined || stopping.signal.aborted) return;
      loops = Promise.all([...peers].map(([peer, stats]) => pullLoop(peer, stats))).then(() => undefined);
    },
    async stop() {
      stopping.abort();
      await loops;
    },
    stats() {
      return { region, peers: [...peers.values()].map(snapshotPeerStats) };
    },
  };
}

function checkUpstream(region: string, upstream: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const peer of upstream) {
    if (peer === region || seen.has(peer)) {
      throw new MeridianError(
        ErrorCode.InvalidConfig,
        peer === region
          ? `region '${region}' cannot pull from itself: remove it from its upstream peers`
          : `upstream peer '${peer}' is listed twice for '${region}': list each peer once`,
        { details: { region, peer } },
      );
    }
    seen.add(peer);
  }
  return [...upstream];
}
