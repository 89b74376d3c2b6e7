// What a replicator reports: why a stream ended, and events for metrics and logs (one union each).

import type { LogEntry } from '../store/store.ts';

/** Why a pull stream from a peer ended. */
export type DisconnectReason =
  /** The replicator was stopped. */
  | { readonly kind: 'stopped' }
  /** The peer ended the stream. */
  | { readonly kind: 'ended' }
  /** The transport failed: connection refused or reset, a bad response. */
  | { readonly kind: 'failed'; readonly message: string }
  /** Nothing arrived, not even a heartbeat, for `idleMs`. */
  | { readonly kind: 'idle'; readonly idleMs: number }
  /** A change arrived before an earlier one of its origin: a reordered batch or a faulty source. */
  | { readonly kind: 'gap'; readonly origin: string; readonly originSeq: number }
  /** A change's timestamp is too far ahead of our clock; it stays unapplied until our clock catches up. */
  | {
      readonly kind: 'clock-ahead';
      readonly origin: string;
      readonly originSeq: number;
      readonly key: string;
      readonly offsetMs: number;
    }
  /** A change carries a version that does not parse. */
  | {
      readonly kind: 'bad-version';
      readonly origin: string;
      readonly originSeq: number;
      readonly version: string;
    }
  /** A snapshot part arrived out of order (a reordered batch): the snapshot starts over on the next pull. */
  | { readonly kind: 'snapshot-gap'; readonly part: number; readonly expected: number }
  /** A snapshot covers versions too far ahead of our clock; it is refused until the clocks agree. */
  | { readonly kind: 'snapshot-clock-ahead'; readonly offsetMs: number };

export type ApplyOutcome = 'applied' | 'superseded' | 'duplicate';

export type ReplicatorEvent =
  | {
      readonly type: 'connected';
      readonly peer: string;
      readonly senderHead: number;
      /** The peer's applied vector when the stream opened (empty if the peer did not send it). */
      readonly senderApplied: Readonly<Record<string, number>>;
    }
  | {
      readonly type: 'disconnected';
      readonly peer: string;
      readonly reason: DisconnectReason;
      /** When the next attempt starts; absent once stopped. */
      readonly retryInMs?: number;
    }
  | {
      readonly type: 'applied';
      readonly peer: string;
      readonly entry: LogEntry;
      readonly result: ApplyOutcome;
      /** Commit at the origin to apply here, for applied and superseded changes. */
      readonly lagMs?: number;
    }
  | {
      readonly type: 'refused';
      readonly peer: string;
      readonly origin: string;
      readonly originSeq: number;
      readonly collection: string;
      readonly key: string;
      readonly version: string;
      /** How far the change's wall time is ahead of our physical clock. */
      readonly offsetMs: number;
    }
  /** A snapshot from `peer` was installed: our applied vector is now at least `applied`. */
  | {
      readonly type: 'snapshot';
      readonly peer: string;
      readonly applied: Readonly<Record<string, number>>;
      readonly records: number;
    }
  /** This region served a snapshot to `peer`, which lacked truncated entries of `origins`. */
  | {
      readonly type: 'snapshot-sent';
      readonly peer: string;
      readonly origins: readonly string[];
      readonly records: number;
    }
  /** A log collection ran: entries truncated and tombstones purged (both 0 while a region is unknown). */
  | {
      readonly type: 'collected';
      readonly truncated: number;
      readonly purged: number;
      /** Some configured region has not been heard of since this region started: nothing was collected. */
      readonly blocked: boolean;
    };

/** A one-line description, for logs and PeerStats.lastError. */
export function describeDisconnect(reason: DisconnectReason): string {
  switch (reason.kind) {
    case 'stopped':
      return 'stopped';
    case 'ended':
      return 'the peer ended the stream';
    case 'failed':
      return reason.message;
    case 'idle':
      return `nothing received for ${reason.idleMs} ms`;
    case 'gap':
      return `change ${reason.origin}#${reason.originSeq} arrived before an earlier change of ${reason.origin}`;
    case 'clock-ahead':
      return (
        `change ${reason.origin}#${reason.originSeq} (key '${reason.key}') is ${reason.offsetMs} ms ahead ` +
        'of this clock, over the max offset: refused until the clocks agree'
      );
    case 'bad-version':
      return `change ${reason.origin}#${reason.originSeq} has a malformed version '${reason.version}'`;
    case 'snapshot-gap':
      return `snapshot part ${reason.part} arrived where part ${reason.expected} was expected`;
    case 'snapshot-clock-ahead':
      return (
        `a snapshot covers versions ${reason.offsetMs} ms ahead of this clock, over the max offset: ` +
        'refused until the clocks agree'
      );
  }
}
