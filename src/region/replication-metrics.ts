// Replication metrics of one region: lag, pending changes, bytes raw and on the wire, outcomes, refusals.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Replicator } from '../replication/replicator.ts';
import type { ReplicatorEvent } from '../replication/replicator-events.ts';

export interface ReplicationMetrics {
  onEvent(event: ReplicatorEvent): void;
  onFrameSent(peer: string, rawBytes: number, wireBytes: number, entries: number): void;
  onBytesReceived(peer: string, bytes: number): void;
  onStreamRejected(reason: string): void;
  /** Per origin, the lag of the last change applied here (ms). */
  lagByOrigin(): Readonly<Record<string, number>>;
}

export function createReplicationMetrics(
  registry: Registry,
  replicator: () => Replicator | undefined,
): ReplicationMetrics {
  const registers = [registry];
  const lastLag: Record<string, number> = {};
  const lag = new Gauge({
    name: 'meridian_replication_lag_seconds',
    help: 'Commit at the origin to apply here, for the last change applied from each origin.',
    labelNames: ['origin'] as const,
    registers,
  });
  const lagHistogram = new Histogram({
    name: 'meridian_replication_apply_lag_seconds',
    help: 'Distribution of commit-at-origin to apply-here times.',
    labelNames: ['origin'] as const,
    // 2 ms steps up to 300 ms, where every link's one-way delay and its SLA lie; coarser beyond.
    buckets: [...Array.from({ length: 150 }, (_, i) => (i + 1) * 0.002), 0.4, 0.5, 0.75, 1, 2, 5, 10, 30],
    registers,
  });
  const changes = new Counter({
    name: 'meridian_replication_changes_total',
    help: 'Changes received from each peer, by outcome: applied, superseded (older than ours), duplicate.',
    labelNames: ['peer', 'result'] as const,
    registers,
  });
  const refused = new Counter({
    name: 'meridian_replication_clock_offset_rejections_total',
    help: 'Changes refused because their timestamp was further ahead of this clock than replication.maxClockOffset.',
    labelNames: ['origin'] as const,
    registers,
  });
  const disconnects = new Counter({
    name: 'meridian_replication_disconnects_total',
    help: 'Replication streams from a peer that ended, by reason.',
    labelNames: ['peer', 'reason'] as const,
    registers,
  });
  const rejected = new Counter({
    name: 'meridian_replication_rejected_total',
    help: 'Replication streams or frames rejected: bad MAC, unknown peer, replayed, truncated.',
    labelNames: ['side'] as const,
    registers,
  });
  const sentBytes = new Counter({
    name: 'meridian_replication_sent_bytes_total',
    help: 'Replication bytes sent to each peer: raw JSON, and on the wire after compression.',
    labelNames: ['peer', 'kind'] as const,
    registers,
  });
  const sentChanges = new Counter({
    name: 'meridian_replication_sent_changes_total',
    help: 'Changes sent to each peer.',
    labelNames: ['peer'] as const,
    registers,
  });
  const receivedBytes = new Counter({
    name: 'meridian_replication_received_bytes_total',
    help: 'Replication bytes received on the wire from each peer.',
    labelNames: ['peer'] as const,
    registers,
  });
  const snapshots = new Counter({
    name: 'meridian_replication_snapshots_total',
    help: 'Snapshots installed from each peer (this region lacked changes the peer had collected).',
    labelNames: ['peer'] as const,
    registers,
  });
  const snapshotsSent = new Counter({
    name: 'meridian_replication_snapshots_sent_total',
    help: 'Snapshots sent to each peer.',
    labelNames: ['peer'] as const,
    registers,
  });
  const truncated = new Counter({
    name: 'meridian_replication_log_truncated_total',
    help: 'Log entries removed because every region has applied them.',
    registers,
  });
  const purged = new Counter({
    name: 'meridian_replication_tombstones_purged_total',
    help: 'Tombstones purged once stable everywhere and older than replication.tombstoneGrace.',
    registers,
  });
  new Gauge({
    name: 'meridian_replication_pending_changes',
    help: "Changes in each peer's log not yet received here (the peer's log head minus our position in it).",
    labelNames: ['peer'] as const,
    registers,
    collect() {
      for (const p of replicator()?.stats().peers ?? []) {
        this.set({ peer: p.peer }, Math.max(0, p.senderHead - p.lastPosition));
      }
    },
  });
  new Gauge({
    name: 'meridian_replication_peer_connected',
    help: '1 while the replication stream from the peer is up.',
    labelNames: ['peer'] as const,
    registers,
    collect() {
      for (const p of replicator()?.stats().peers ?? []) this.set({ peer: p.peer }, p.connected ? 1 : 0);
    },
  });

  return {
    onEvent(event) {
      switch (event.type) {
        case 'applied':
          changes.inc({ peer: event.peer, result: event.result });
          if (event.lagMs !== undefined) {
            lastLag[event.entry.origin] = event.lagMs;
            lag.set({ origin: event.entry.origin }, event.lagMs / 1000);
            lagHistogram.observe({ origin: event.entry.origin }, event.lagMs / 1000);
          }
          break;
        case 'refused':
          refused.inc({ origin: event.origin });
          break;
        case 'disconnected':
          disconnects.inc({ peer: event.peer, reason: event.reason.kind });
          if (
            event.reason.kind === 'failed' &&
            /frame|authentic|refused the replication/i.test(event.reason.message)
          ) {
            rejected.inc({ side: 'receiver' });
          }
          break;
        case 'snapshot':
          snapshots.inc({ peer: event.peer });
          break;
        case 'snapshot-sent':
          snapshotsSent.inc({ peer: event.peer });
          break;
        case 'collected':
          truncated.inc(event.truncated);
          purged.inc(event.purged);
          break;
        case 'connected':
          break;
      }
    },
    onFrameSent(peer, rawBytes, wireBytes, entries) {
      sentBytes.inc({ peer, kind: 'raw' }, rawBytes);
      sentBytes.inc({ peer, kind: 'wire' }, wireBytes);
      sentChanges.inc({ peer }, entries);
    },
    onBytesReceived(peer, bytes) {
      receivedBytes.inc({ peer }, bytes);
    },
    onStreamRejected() {
      rejected.inc({ side: 'sender' });
    },
    lagByOrigin: () => ({ ...lastLag }),
  };
}
