// An emulated WAN link for one directed region pair A->B: a TCP proxy that delays, throttles and partitions.
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { ErrorCode, MeridianError } from '../core/errors.ts';
import { checkBandwidth, checkJitter, checkPort, checkPositive, checkRtt } from './wan-settings.ts';
import { createWanPipe } from './wan-pipe.ts';
import type { WanPipe } from './wan-pipe.ts';
import type { LinkShape } from './wan-schedule.ts';

export const DEFAULT_QUEUE_HIGH_WATER_BYTES = 4 * 1024 * 1024;

export interface WanTarget {
  readonly host: string;
  readonly port: number;
}

export interface WanLinkOptions {
  /** The dialling region (A): its node connects to this link to reach `to`. */
  readonly from: string;
  /** The target region (B), reached at `target`. */
  readonly to: string;
  readonly target: WanTarget;
  /** Listen address; default 127.0.0.1. */
  readonly host?: string;
  /** Listen port; default 0 (the OS chooses). */
  readonly port?: number;
  readonly rttMs: number;
  /** The pair's light-in-fibre floor: no RTT below it is accepted. Default 0. */
  readonly floorRttMs?: number;
  /** Extra delay per chunk each way, uniform in [0, jitterMs). Default 0. */
  readonly jitterMs?: number;
  /** Serialisation rate each way; undefined (the default) for unlimited. */
  readonly bandwidthBytesPerSec?: number;
  /** Queued bytes per direction above which the sender is paused. Default 4 MiB. */
  readonly queueHighWaterBytes?: number;
  /** Uniform in [0, 1): drives jitter. */
  readonly random: () => number;
  /** Monotonic clock in ms; default performance.now. */
  readonly now?: () => number;
}

export interface WanLinkStats {
  readonly connectionsOpen: number;
  readonly connectionsAccepted: number;
  /** Connections reset on arrival because the link was cut. */
  readonly connectionsRefused: number;
  /** Bytes delivered from the dialler (from) to the target (to). */
  readonly bytesForward: number;
  /** Bytes delivered from the target (to) back to the dialler (from). */
  readonly bytesBackward: number;
  /** Bytes waiting in the delay queues of open connections, both ways. */
  readonly bytesQueued: number;
}

export interface WanLinkInfo {
  readonly from: string;
  readonly to: string;
  readonly host: string;
  /** The bound port once started; before that the requested one (0: the OS will choose). */
  readonly port: number;
  readonly rttMs: number;
  readonly floorRttMs: number;
  readonly jitterMs: number;
  readonly bandwidthBytesPerSec: number | undefined;
  readonly cut: boolean;
  readonly stats: WanLinkStats;
}

export interface WanLink {
  readonly from: string;
  readonly to: string;
  /** Listens; resolves once bound. */
  start(): Promise<void>;
  /** 'http://host:port' of the listening link; throws before start(). */
  url(): string;
  info(): WanLinkInfo;
  /** Applies to bytes arriving from now on; throws below the fibre floor. */
  setLatency(rttMs: number): void;
  setJitter(jitterMs: number): void;
  /** Bytes per second each way; undefined removes the limit. */
  setBandwidth(bytesPerSec: number | undefined): void;
  /** Partition: new connections are reset, open ones stall with their bytes held (not dropped). */
  cut(): void;
  /** End the partition: held bytes are delivered in order. */
  heal(): void;
  /** Closes the listener and every connection. Idempotent. */
  close(): Promise<void>;
}

interface Connection {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly pipes: readonly [WanPipe, WanPipe];
}

/**
 * The proxy accepts the TCP handshake locally, so opening a connection costs no emulated RTT; every byte
 * after it pays one-way each way. Time spent cut counts as transit time: on heal, held bytes whose delay
 * has passed go at once, in order.
 */
export function createWanLink(options: WanLinkOptions): WanLink {
  const { from, to, target } = options;
  const name = `${from}->${to}`;
  const host = options.host ?? '127.0.0.1';
  const floorRttMs = options.floorRttMs ?? 0;
  const highWaterBytes = options.queueHighWaterBytes ?? DEFAULT_QUEUE_HIGH_WATER_BYTES;
  const now = options.now ?? (() => performance.now());
  checkPort(name, 'target port', target.port, 1);
  checkPort(name, 'listen port', options.port ?? 0, 0);
  checkPositive(name, 'queueHighWaterBytes', highWaterBytes);
  let rttMs = checkRtt(name, options.rttMs, floorRttMs);
  let jitterMs = checkJitter(name, options.jitterMs ?? 0);
  let bandwidthBytesPerSec = checkBandwidth(name, options.bandwidthBytesPerSec);
  let isCut = false;
  const counts = { accepted: 0, refused: 0, forward: 0, backward: 0 };
  const connections = new Set<Connection>();
  const shape = (): LinkShape => ({ oneWayMs: rttMs / 2, jitterMs, bandwidthBytesPerSec });
  let server: Server | undefined;
  let started: Promise<void> | undefined;
  let closed: Promise<void> | undefined;

  function accept(client: Socket): void {
    client.on('error', () => undefined);
    if (isCut) {
      // Reset at once: a client sees a failed connection fast instead of waiting for a timeout.
      counts.refused += 1;
      client.resetAndDestroy();
      return;
    }
    counts.accepted += 1;
    client.setNoDelay(true);
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    const pipe = (source: Socket, sink: Socket, count: (bytes: number) => void): WanPipe =>
      createWanPipe({
        source,
        sink,
        shape,
        random: options.random,
        now,
        highWaterBytes,
        onDeliver: count,
      });
    const connection: Connection = {
      client,
      upstream,
      pipes: [
        pipe(client, upstream, (bytes) => (counts.forward += bytes)),
        pipe(upstream, client, (bytes) => (counts.backward += bytes)),
      ],
    };
    connections.add(connection);
    let open = 2;
    const onClose = (): void => {
      open -= 1;
      if (open > 0) return;
      connections.delete(connection);
      for (const p of connection.pipes) p.dispose();
    };
    client.once('close', onClose);
    upstream.once('close', onClose);
  }

  function listeningPort(): number | undefined {
    const address = server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  function forEachPipe(action: (pipe: WanPipe) => void): void {
    for (const connection of connections) for (const p of connection.pipes) action(p);
  }

  return {
    from,
    to,
    start() {
      started ??= new Promise<void>((resolve, reject) => {
        const s = createServer({ allowHalfOpen: true }, accept);
        server = s;
        const port = options.port ?? 0;
        s.once('error', (cause) =>
          reject(
            new MeridianError(
              ErrorCode.Unavailable,
              `link ${name}: cannot listen on ${host}:${port} (${cause.message}); pick a free port`,
              {
                cause,
                details: { from, to, host, port },
              },
            ),
          ),
        );
        s.listen({ host, port }, () => {
          // After binding, a server error is a failed accept: it concerns one connection attempt only.
          s.on('error', () => undefined);
          resolve();
        });
      });
      return started;
    },
    url() {
      const port = listeningPort();
      if (port === undefined) {
        throw new MeridianError(ErrorCode.Unavailable, `link ${name} is not listening; call start() first`, {
          details: { from, to },
        });
      }
      return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    },
    info() {
      let bytesQueued = 0;
      forEachPipe((p) => (bytesQueued += p.queuedBytes()));
      return {
        from,
        to,
        host,
        port: listeningPort() ?? options.port ?? 0,
        rttMs,
        floorRttMs,
        jitterMs,
        bandwidthBytesPerSec,
        cut: isCut,
        stats: {
          connectionsOpen: connections.size,
          connectionsAccepted: counts.accepted,
          connectionsRefused: counts.refused,
          bytesForward: counts.forward,
          bytesBackward: counts.backward,
          bytesQueued,
        },
      };
    },
    setLatency(value) {
      rttMs = checkRtt(name, value, floorRttMs);
    },
    setJitter(value) {
      jitterMs = checkJitter(name, value);
    },
    setBandwidth(value) {
      bandwidthBytesPerSec = checkBandwidth(name, value);
    },
    cut() {
      isCut = true;
      forEachPipe((p) => p.hold());
    },
    heal() {
      isCut = false;
      forEachPipe((p) => p.release());
    },
    close() {
      closed ??= (async () => {
        for (const connection of connections) {
          for (const p of connection.pipes) p.dispose();
          connection.client.destroy();
          connection.upstream.destroy();
        }
        connections.clear();
        await started?.catch(() => undefined); // a listen still under way must finish before it can close
        if (server?.listening) await new Promise<void>((resolve) => server?.close(() => resolve()));
      })();
      return closed;
    },
  };
}
