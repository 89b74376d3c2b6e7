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
    };

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
  }
}
