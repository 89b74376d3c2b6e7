// One y-websocket client connection: the sync protocol over one socket, one message at a time.
//
// On open the server loads the document and sends sync step 1 (its state vector); the client's step 1
// is answered with step 2 (the diff it lacks). Client step 2 and update messages are validated, merged
// through the port, then sent to the room's other peers. Messages are handled in order, one at a time;
// when too many wait, the socket is paused (TCP pushes back on the client). A client that does not
// read fast enough is closed: the stock client reconnects and resyncs with one step 1/step 2 exchange,
// which is cheaper than queueing every update for it.

import type { WebSocket, RawData } from 'ws';
import { MeridianError } from '../core/errors.ts';
import { decodeMessage, encodeSyncStep1, encodeSyncStep2 } from './yjs-messages.ts';
import type { YjsDocumentPort } from './yjs-port.ts';
import type { RoomPeer, YjsRoom } from './yjs-room.ts';
import { diff, emptyState, isEmptyUpdate, stateVector, validateStateVector } from './yjs-state.ts';

/**
 * WebSocket close codes the server uses. 4400-4499 mirror HTTP 4xx: the stock y-websocket client
 * (v3) does not reconnect after them. The others are transient: it reconnects with backoff.
 */
export const YjsCloseCode = {
  /** The server is shutting down. */
  GoingAway: 1001,
  /** The port failed (store down): the client retries. */
  InternalError: 1011,
  /** The client did not read its messages fast enough: it reconnects and resyncs. */
  TryAgainLater: 1013,
  /** A malformed or unsupported message: reconnecting would only send it again. */
  BadMessage: 4400,
} as const;

export interface YjsLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ConnectionContext {
  readonly port: YjsDocumentPort;
  readonly room: YjsRoom;
  readonly maxBufferedBytes: number;
  readonly maxQueuedMessages: number;
  readonly logger: YjsLogger;
  readonly onClose: () => void;
}

export interface YjsConnection {
  /** Pings the client; terminates it if it did not answer the previous ping. */
  heartbeat(): void;
  /** Closes with `code`; resolves once the socket is closed (terminated after `timeoutMs`). */
  close(code: number, reason: string, timeoutMs: number): Promise<void>;
}

export function serveConnection(ws: WebSocket, ctx: ConnectionContext): YjsConnection {
  const { port, room, logger } = ctx;
  const { collection, key } = room;
  const queue: Array<() => Promise<void>> = [];
  let open = true;
  let draining = false;
  let paused = false;
  let alive = true;
  // The state loaded at connect answers the client's first step 1: the peer joined the room before the
  // load, so every update merged since reaches it anyway. Later step 1s (resyncs) load again.
  let loaded: Uint8Array | undefined;

  const peer: RoomPeer = { send };
  room.join(peer);

  function send(message: Uint8Array): void {
    if (!open || ws.readyState !== ws.OPEN) return;
    ws.send(message);
    if (ws.bufferedAmount > ctx.maxBufferedBytes) {
      shut(
        YjsCloseCode.TryAgainLater,
        `client too slow: over ${ctx.maxBufferedBytes} bytes waiting to be sent; reconnect to resync`,
      );
    }
  }

  function enqueue(task: () => Promise<void>): void {
    queue.push(task);
    if (!paused && queue.length >= ctx.maxQueuedMessages) {
      paused = true;
      ws.pause();
    }
    void drain();
  }

  async function drain(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      while (open && queue.length > 0) {
        await queue.shift()!();
        if (paused && queue.length <= ctx.maxQueuedMessages / 2) {
          paused = false;
          ws.resume();
        }
      }
    } catch (err) {
      fail(err);
    } finally {
      draining = false;
    }
  }

  async function handle(frame: Uint8Array): Promise<void> {
    const message = decodeMessage(frame);
    switch (message.type) {
      case 'sync-step-1': {
        validateStateVector(message.stateVector);
        const state = loaded ?? (await load());
        loaded = undefined;
        send(encodeSyncStep2(serverSide('diff', () => diff(state, message.stateVector))));
        return;
      }
      case 'sync-step-2':
      case 'update':
        // isEmptyUpdate decodes the update: a malformed one throws before it reaches the port.
        if (!isEmptyUpdate(message.update)) await room.apply(message.update, peer);
        return;
      case 'awareness':
        room.applyAwareness(message.update, peer);
        return;
      case 'query-awareness': {
        const awareness = room.awarenessMessage();
        if (awareness) send(awareness);
        return;
      }
    }
  }

  async function load(): Promise<Uint8Array> {
    try {
      return (await port.load(collection, key)) ?? emptyState();
    } catch (err) {
      throw serverError('load', err);
    }
  }

  // A stored state that does not decode is the server's problem, not the client's: 1011, not 4400.
  function serverSide<T>(what: string, run: () => T): T {
    try {
      return run();
    } catch (err) {
      throw serverError(what, err);
    }
  }

  function serverError(what: string, cause: unknown): Error {
    return new Error(`yjs: ${what} of ${collection}/${key} failed`, { cause });
  }

  function fail(err: unknown): void {
    if (!open) return;
    if (err instanceof MeridianError && err.status < 500) {
      logger.warn(
        { collection, key, code: err.code, reason: err.message },
        'yjs: bad message, closing socket',
      );
      shut(YjsCloseCode.BadMessage, err.message);
    } else {
      logger.error({ err, collection, key }, 'yjs: serving the document failed, closing socket');
      shut(YjsCloseCode.InternalError, 'internal error: see the region log');
    }
  }

  // Stops serving: leaves the room at once, then closes the socket (the close handshake may take
  // longer, during which nothing more is sent or handled).
  function shut(code: number, reason: string): void {
    if (!open) return;
    cleanup();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, closeReason(reason));
  }

  function cleanup(): void {
    if (!open) return;
    open = false;
    queue.length = 0;
    loaded = undefined;
    room.leave(peer);
    ctx.onClose();
  }

  ws.on('message', (data: RawData, isBinary: boolean) => {
    alive = true;
    if (!open) return;
    if (!isBinary) {
      shut(YjsCloseCode.BadMessage, 'text frames are not y-websocket messages: send binary frames');
      return;
    }
    const frame = toBytes(data);
    enqueue(() => handle(frame));
  });
  ws.on('pong', () => {
    alive = true;
  });
  // ws closes the socket itself after an error (an oversized message closes with 1009).
  ws.on('error', (err: Error) => logger.warn({ err, collection, key }, 'yjs: socket error'));
  ws.on('close', cleanup);

  enqueue(async () => {
    const state = await load();
    loaded = state;
    send(encodeSyncStep1(serverSide('state vector', () => stateVector(state))));
    const awareness = room.awarenessMessage();
    if (awareness) send(awareness);
  });

  return {
    heartbeat() {
      if (!alive) {
        cleanup();
        ws.terminate();
        return;
      }
      alive = false;
      if (ws.readyState === ws.OPEN) ws.ping();
    },

    close(code, reason, timeoutMs) {
      return new Promise<void>((resolve) => {
        if (ws.readyState === ws.CLOSED) {
          cleanup();
          resolve();
          return;
        }
        const timer = setTimeout(() => ws.terminate(), timeoutMs);
        ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        shut(code, reason);
        // Already shut before (a bad message, a slow client) and its close is under way: just wait.
        if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.terminate();
      });
    },
  };
}

// Copies: the update may be kept (broadcast, stored) after ws reuses or drops its buffers.
function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  return new Uint8Array(data);
}

// A close reason is at most 123 bytes of UTF-8.
function closeReason(reason: string): string {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
}
