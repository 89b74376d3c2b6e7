// The network a memory transport runs over: it decides, per connection and per batch, the delay or
// fault (refuse, hang, break, stall, duplicate, reorder). The simulator's network implements it.

import type { ReplicationBatch } from './replication-port.ts';

/** What happens when `puller` opens a stream to a peer. */
export type ConnectFate =
  /** The request reaches the peer after `delayMs`; batches then flow. */
  | { readonly kind: 'connect'; readonly delayMs: number }
  /** After `delayMs` the puller learns the connection failed (refused, reset, timed out). */
  | { readonly kind: 'refuse'; readonly delayMs: number }
  /** Nothing ever comes back (a black-holed SYN): only the puller's own timeout ends it. */
  | { readonly kind: 'hang' };

/** What happens to one batch on its way from the peer to the puller. */
export type BatchFate =
  /** Arrives after `delayMs`, never before an earlier batch of the stream (like TCP). */
  | { readonly kind: 'deliver'; readonly delayMs: number }
  /** Arrives after `delayMs` regardless of the others: it may overtake or be overtaken. */
  | { readonly kind: 'reorder'; readonly delayMs: number }
  /** Arrives in order after `delayMs`, and a second copy after `againMs`. */
  | { readonly kind: 'duplicate'; readonly delayMs: number; readonly againMs: number }
  /** Lost, and the connection fails after `delayMs` (later batches are lost too). */
  | { readonly kind: 'break'; readonly delayMs: number }
  /** Lost, and so is everything after it, but the connection stays open (a partition). */
  | { readonly kind: 'stall' };

export interface MemoryNetwork {
  connect(puller: string, peer: string): ConnectFate;
  batch(puller: string, peer: string, batch: ReplicationBatch): BatchFate;
}

/** Every connection succeeds and every batch arrives in order after `delayMs`. */
export function reliableNetwork(delayMs = 0): MemoryNetwork {
  return {
    connect: () => ({ kind: 'connect', delayMs }),
    batch: () => ({ kind: 'deliver', delayMs }),
  };
}
