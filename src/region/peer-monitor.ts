// Probes every peer region through the path replication uses (its peer URL, e.g. a WAN link), every
// probe interval, and keeps RTT and health for /v1/cluster and metrics.

import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import {
  EMPTY_PROBE_STATE,
  isPeerHealthy,
  peerRttMs,
  recordProbeError,
  recordProbeOk,
} from '../core/peer-health.ts';

export interface PeerTarget {
  readonly name: string;
  /** How this region reaches the peer (through the WAN emulator in the local deployment). */
  readonly url: string;
}

export interface PeerStatus {
  readonly name: string;
  readonly url: string;
  readonly healthy: boolean;
  readonly rttMs: number | null;
  readonly lastSeenMsAgo: number | null;
  readonly error: string | null;
}

export interface PeerMonitor {
  start(): void;
  status(): PeerStatus[];
  stop(): Promise<void>;
}

export interface PeerMonitorOptions {
  readonly peers: readonly PeerTarget[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly unhealthyAfterMs: number;
  readonly onProbe?: (peer: string, rttMs: number | undefined) => void;
}

export function createPeerMonitor(options: PeerMonitorOptions): PeerMonitor {
  const { intervalMs, timeoutMs, unhealthyAfterMs } = options;
  const peers = options.peers.map((target) => ({
    target,
    // One keep-alive connection per peer, so a probe costs one round trip, not a TCP handshake too.
    pool: new Pool(target.url, { connections: 1, pipelining: 0, keepAliveTimeout: 60_000 }),
    state: EMPTY_PROBE_STATE,
    inFlight: false,
  }));
  let timer: NodeJS.Timeout | undefined;

  async function probe(peer: (typeof peers)[number]): Promise<void> {
    if (peer.inFlight) return;
    peer.inFlight = true;
    const started = performance.now();
    try {
      const res = await peer.pool.request({
        method: 'GET',
        path: '/healthz',
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const body = (await res.body.json()) as { region?: unknown };
      const rtt = performance.now() - started;
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      if (body.region !== peer.target.name) {
        throw new Error(
          `${peer.target.url} answers as region '${String(body.region)}', not '${peer.target.name}'`,
        );
      }
      peer.state = recordProbeOk(peer.state, Date.now(), rtt);
      options.onProbe?.(peer.target.name, rtt);
    } catch (err) {
      peer.state = recordProbeError(peer.state, err instanceof Error ? err.message : String(err));
      options.onProbe?.(peer.target.name, undefined);
    } finally {
      peer.inFlight = false;
    }
  }

  function tick(): void {
    for (const peer of peers) void probe(peer);
  }

  return {
    start() {
      if (timer) return;
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    status() {
      const now = Date.now();
      return peers.map(({ target, state }) => ({
        name: target.name,
        url: target.url,
        healthy: isPeerHealthy(state, now, unhealthyAfterMs),
        rttMs: round(peerRttMs(state)),
        lastSeenMsAgo: state.lastOkAt === undefined ? null : now - state.lastOkAt,
        error: state.lastError ?? null,
      }));
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await Promise.all(peers.map((p) => p.pool.destroy()));
    },
  };
}

function round(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.round(ms * 10) / 10;
}
