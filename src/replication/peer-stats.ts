// Counters a replicator keeps per upstream peer; stats() hands out frozen copies.

export interface PeerStats {
  readonly peer: string;
  /** A stream is up and has delivered at least its first batch. */
  readonly connected: boolean;
  readonly connects: number;
  readonly disconnects: number;
  readonly batches: number;
  /** Batches without entries (keep-alives). */
  readonly heartbeats: number;
  readonly applied: number;
  /** Logged and relayed, but older than the document's version here. */
  readonly superseded: number;
  readonly duplicate: number;
  /** Changes refused because their timestamp was too far ahead of this region's clock. */
  readonly refused: number;
  /** Changes that arrived before an earlier change of their origin. */
  readonly gaps: number;
  /** Snapshots installed from this peer (we lacked entries its log no longer held). */
  readonly snapshots: number;
  readonly lastError: string | undefined;
  /** The peer's log head with its last batch. */
  readonly senderHead: number;
  /** The peer's log position of the last entry received. */
  readonly lastPosition: number;
  /** Per origin, the lag of the last change applied from this peer (commit there to apply here). */
  readonly lagMs: Readonly<Record<string, number>>;
}

export type MutablePeerStats = { -readonly [K in keyof PeerStats]: PeerStats[K] } & {
  lagMs: Record<string, number>;
};

export function emptyPeerStats(peer: string): MutablePeerStats {
  return {
    peer,
    connected: false,
    connects: 0,
    disconnects: 0,
    batches: 0,
    heartbeats: 0,
    applied: 0,
    superseded: 0,
    duplicate: 0,
    refused: 0,
    gaps: 0,
    snapshots: 0,
    lastError: undefined,
    senderHead: 0,
    lastPosition: 0,
    lagMs: {},
  };
}

export function snapshotPeerStats(stats: MutablePeerStats): PeerStats {
  return Object.freeze({ ...stats, lagMs: Object.freeze({ ...stats.lagMs }) });
}
