// A y-websocket server on an existing Node http.Server (fastify's app.server): stock Yjs clients edit
// the documents of `conflict: 'yjs'` collections at /v1/collections/{collection}/yjs/{key}.
//
// It takes over the server's `upgrade` event for that path, checks the path (400/404 and the socket
// destroyed otherwise), lets an optional `admit` hook refuse, and hands each accepted socket to a
// connection (yjs-connection.ts) in the document's room (yjs-room.ts). Storage is the port's job.

import type { IncomingMessage, Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseDuration } from '../core/duration.ts';
import { MeridianError } from '../core/errors.ts';
import { serveConnection, YjsCloseCode, type YjsConnection, type YjsLogger } from './yjs-connection.ts';
import { parseYjsPath, type YjsDocumentRef } from './yjs-path.ts';
import type { YjsDocumentPort } from './yjs-port.ts';
import { openRoom, type YjsRoom } from './yjs-room.ts';

export { YjsCloseCode, type YjsLogger } from './yjs-connection.ts';

export interface YjsWebSocketOptions {
  readonly port: YjsDocumentPort;
  /** Largest message a client may send, in bytes (bigger closes its socket with 1009). Default 16 MiB. */
  readonly maxMessageBytes?: number;
  /** Bytes waiting to be sent to one client before it is closed as too slow (1013). Default 16 MiB. */
  readonly maxBufferedBytes?: number;
  /** Messages from one client waiting to be handled before its socket is paused. Default 64. */
  readonly maxQueuedMessages?: number;
  /** Open connections over all documents; more are refused with 503. Default 10,000. */
  readonly maxConnections?: number;
  /** How often to ping each client ('30s' or ms); one that missed the last pong is dropped. Default 30 s. */
  readonly pingInterval?: number | string;
  /** How long close() waits for a client's close handshake before dropping it. Default 1 s. */
  readonly closeTimeout?: number | string;
  /**
   * Whether an upgrade to any other path gets a 404 (true, the default) or is left to the server's
   * other `upgrade` listeners.
   */
  readonly rejectUnknownPaths?: boolean;
  /** Checks a connection before it is accepted: throw (a MeridianError for its status) to refuse. */
  readonly admit?: (doc: YjsDocumentRef, request: IncomingMessage) => void | Promise<void>;
  readonly logger?: YjsLogger;
}

export interface YjsWebSocketServer {
  /** Open connections and documents with at least one. */
  stats(): { readonly connections: number; readonly documents: number };
  /** Stops accepting, closes every connection with 1001 and detaches from the server. Idempotent. */
  close(): Promise<void>;
}

interface ResolvedOptions {
  readonly port: YjsDocumentPort;
  readonly maxMessageBytes: number;
  readonly maxBufferedBytes: number;
  readonly maxQueuedMessages: number;
  readonly maxConnections: number;
  readonly pingIntervalMs: number;
  readonly closeTimeoutMs: number;
  readonly rejectUnknownPaths: boolean;
  readonly admit: YjsWebSocketOptions['admit'];
  readonly logger: YjsLogger;
}

const MiB = 1024 * 1024;
const silent: YjsLogger = { warn() {}, error() {} };

export function attachYjsWebSocket(server: Server, options: YjsWebSocketOptions): YjsWebSocketServer {
  const opts = resolveOptions(options);
  const { logger } = opts;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxMessageBytes,
    // Off, as ws defaults: compressing each keystroke costs more CPU than it saves bytes.
    perMessageDeflate: false,
    clientTracking: false,
  });
  const rooms = new Map<string, YjsRoom>();
  const connections = new Set<YjsConnection>();
  let stopping = false;
  let closed: Promise<void> | undefined;

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    let doc: YjsDocumentRef | undefined;
    try {
      doc = parseYjsPath(request.url ?? '/');
    } catch (err) {
      refuse(socket, err);
      return;
    }
    if (doc === undefined) {
      if (opts.rejectUnknownPaths) {
        const path = (request.url ?? '/').split('?', 1)[0];
        refuse(
          socket,
          new MeridianError(
            'not_found',
            `no WebSocket endpoint at ${path}: Yjs documents are at /v1/collections/{collection}/yjs/{key}`,
          ),
        );
      }
      return;
    }
    accept(request, socket, head, doc).catch((err: unknown) => {
      logger.error({ err, ...doc }, 'yjs: upgrade failed');
      socket.destroy();
    });
  };

  async function accept(request: IncomingMessage, socket: Duplex, head: Buffer, doc: YjsDocumentRef) {
    ignoreErrors(socket);
    if (stopping) return refuse(socket, new MeridianError('unavailable', 'the server is shutting down'));
    if (connections.size >= opts.maxConnections) {
      return refuse(
        socket,
        new MeridianError('unavailable', `too many Yjs connections (${opts.maxConnections}): retry later`),
      );
    }
    try {
      await opts.admit?.(doc, request);
    } catch (err) {
      return refuse(socket, err);
    }
    if (stopping || socket.destroyed) return socket.destroy();
    try {
      wss.handleUpgrade(request, socket, head, (ws: WebSocket) => connect(ws, doc));
    } catch (err) {
      refuse(socket, err);
    }
  }

  function connect(ws: WebSocket, doc: YjsDocumentRef): void {
    try {
      serve(ws, doc);
    } catch (err) {
      logger.error({ err, ...doc }, 'yjs: could not serve a connection');
      ws.terminate();
    }
  }

  function serve(ws: WebSocket, doc: YjsDocumentRef): void {
    if (stopping) {
      ws.close(YjsCloseCode.GoingAway, 'the server is shutting down');
      return;
    }
    const id = `${doc.collection}\u0000${doc.key}`;
    let room = rooms.get(id);
    if (!room) {
      const opened = openRoom(opts.port, doc, () => {
        if (rooms.get(id) === opened) rooms.delete(id);
      });
      rooms.set(id, opened);
      room = opened;
    }
    const connection = serveConnection(ws, {
      port: opts.port,
      room,
      maxBufferedBytes: opts.maxBufferedBytes,
      maxQueuedMessages: opts.maxQueuedMessages,
      logger,
      onClose: () => connections.delete(connection),
    });
    connections.add(connection);
  }

  function refuse(socket: Duplex, err: unknown): void {
    ignoreErrors(socket);
    const e =
      err instanceof MeridianError
        ? err
        : new MeridianError('internal', 'internal error: see the region log', { cause: err });
    if (e.status >= 500 && e.code === 'internal') logger.error({ err }, 'yjs: upgrade failed');
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({ error: { code: e.code, message: e.message } });
    socket.once('finish', () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? 'Error'}\r\n` +
        'Connection: close\r\nContent-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  const heartbeat = setInterval(() => {
    for (const connection of connections) connection.heartbeat();
  }, opts.pingIntervalMs);
  heartbeat.unref();

  server.on('upgrade', onUpgrade);

  return {
    stats() {
      return { connections: connections.size, documents: rooms.size };
    },

    close() {
      stopping = true;
      closed ??= (async () => {
        server.off('upgrade', onUpgrade);
        clearInterval(heartbeat);
        await Promise.all(
          [...connections].map((c) =>
            c.close(YjsCloseCode.GoingAway, 'the server is shutting down', opts.closeTimeoutMs),
          ),
        );
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      })();
      return closed;
    },
  };
}

// Node drops its own error listener from a socket it hands to 'upgrade': a reset while we wait (admit)
// or write a refusal would be an unhandled 'error' event, which crashes the process.
function ignoreErrors(socket: Duplex): void {
  if (!socket.listeners('error').includes(noop)) socket.on('error', noop);
}

function noop(): void {}

function resolveOptions(options: YjsWebSocketOptions): ResolvedOptions {
  return Object.freeze({
    port: options.port,
    maxMessageBytes: positiveInt(options.maxMessageBytes, 16 * MiB, 'maxMessageBytes'),
    maxBufferedBytes: positiveInt(options.maxBufferedBytes, 16 * MiB, 'maxBufferedBytes'),
    maxQueuedMessages: positiveInt(options.maxQueuedMessages, 64, 'maxQueuedMessages'),
    maxConnections: positiveInt(options.maxConnections, 10_000, 'maxConnections'),
    pingIntervalMs: duration(options.pingInterval, 30_000, 'pingInterval'),
    closeTimeoutMs: duration(options.closeTimeout, 1000, 'closeTimeout'),
    rejectUnknownPaths: options.rejectUnknownPaths ?? true,
    admit: options.admit,
    logger: options.logger ?? silent,
  });
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new MeridianError('invalid_config', `yjs.${name}: expected a positive integer, got ${value}`);
  }
  return value;
}

function duration(value: number | string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new MeridianError(
      'invalid_config',
      `yjs.${name}: expected a duration such as '30s' or milliseconds, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}
