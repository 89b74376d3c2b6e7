// The replication ports: a region pulls batches of log entries from each upstream peer. The in-memory
// transport (simulator, tests) and the network transport (HTTP stream through the WAN) implement it.

import type { ProgressReport } from '../core/progress-matrix.ts';
import type { Change, DocKey, LogEntry } from '../store/store.ts';

/** What a puller says when it (re)connects: who it is and, per origin, the highest seq it has applied. */
export interface PullRequest {
  readonly region: string;
  readonly applied: Readonly<Record<string, number>>;
}

/**
 * One part of a snapshot: a page of the sender's records (tombstones included) in (collection, key)
 * order, each with the change that wrote it. A puller whose applied vector needs entries the sender has
 * truncated gets a snapshot instead of them, as the first parts of its stream; log batches follow.
 */
export interface SnapshotPart {
  /** 0, 1, 2, ... within the stream: a part out of order drops the stream. */
  readonly part: number;
  /** The sender's applied vector the snapshot reflects (the same in every part). */
  readonly applied: Readonly<Record<string, number>>;
  /** The sender's version floor (see Store.versionFloor), so the puller's clock passes every covered change. */
  readonly versionFloor?: string;
  /** The part covers keys after this one (from the start when absent) up to its last record. */
  readonly after?: DocKey;
  readonly records: readonly Change[];
  /** The last part: it covers every key after `after`, and completes the snapshot. */
  readonly last: boolean;
}

/**
 * A batch of log entries, in the sender's log order, each an original change of some origin, or a
 * snapshot part (then `entries` is empty). A source sends its first batch as soon as the stream opens
 * and an empty batch (a heartbeat) every `heartbeatMs` while idle; a transport must carry empty
 * batches, since the puller drops a stream that delivers nothing for its idle timeout.
 */
export interface ReplicationBatch {
  readonly from: string;
  /** 1, 2, 3, ... within the stream: lets the puller tell that it has every batch up to this one. */
  readonly n?: number;
  readonly entries: readonly LogEntry[];
  /** The sender's log head when the batch was cut: how far behind the puller still is. */
  readonly senderHead: number;
  /**
   * In the first batch of a stream only: the sender's applied vector. A region that lost its store learns
   * from it how many of its own changes the peers hold, and takes no writes until it has them back.
   */
  readonly applied?: Readonly<Record<string, number>>;
  /**
   * What the sender knows of every region's progress (its matrix clock), in the first batch and then
   * whenever it changed, at most once per heartbeat interval. This is how a region's progress flows
   * around the one-way streams (see docs/INTERNALS.md, "Collecting the log and tombstones").
   */
  readonly progress?: ProgressReport;
  readonly snapshot?: SnapshotPart;
  /**
   * Closed timestamps, on a batch that brings the puller up to the sender's log head: per origin, a wall
   * time (ms) below which the puller, once it has applied this batch, holds every change of that origin
   * (the sender's own clock for its own changes; for others, what the sender itself was told). Bounded
   * staleness reads are served from them (see docs/INTERNALS.md, "Read consistency"). The puller takes
   * them only once it has applied every batch of the stream up to this one (`n`): a transport may
   * reorder batches, and an empty batch that overtook one with entries must not vouch for them.
   */
  readonly closed?: Readonly<Record<string, number>>;
}

/**
 * Client side: open a stream of batches from `peer`. The iterable ends or throws when the link breaks,
 * and must end (return or throw) promptly once `signal` aborts: the puller aborts to drop a stream.
 * Batches must arrive in the order the source produced them; a transport that cannot promise that is
 * still safe (a reordered batch shows up as a gap and the puller re-pulls), only slower.
 */
export interface ReplicationTransport {
  pull(peer: string, request: PullRequest, signal: AbortSignal): AsyncIterable<ReplicationBatch>;
}

/**
 * Server side: the batches a region serves to one puller, from where the puller is, then as the log
 * grows, until `signal` aborts. Throws MeridianError bad_request for a malformed request.
 */
export interface ReplicationSource {
  serve(request: PullRequest, signal: AbortSignal): AsyncIterable<ReplicationBatch>;
}
