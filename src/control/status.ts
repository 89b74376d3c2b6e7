// `meridian status`: every region's process, health and view of its peers, gathered over HTTP.

import { request } from 'undici';
import type { DeploymentState } from './deployment-state.ts';
import { isAlive } from './processes.ts';
import { formatTrafficStatus, trafficStatus, type TrafficStatus } from '../edge/traffic-status.ts';

export interface PeerView {
  readonly name: string;
  readonly healthy: boolean;
  readonly rttMs: number | null;
  /** Commit at the peer to apply here, for the last change the peer originated; null before any. */
  readonly lagMs: number | null;
  /** Changes in the peer's log this region has not received yet; null without a replication stream. */
  readonly pending: number | null;
}

export interface RegionView {
  readonly name: string;
  readonly url: string;
  readonly pid: number | null;
  readonly running: boolean;
  readonly healthy: boolean;
  readonly error: string | null;
  readonly peers: PeerView[];
}

export interface DeploymentStatus {
  readonly startedAt: string;
  readonly dataDir: string;
  readonly wan: { readonly controlUrl: string; readonly running: boolean };
  /** Edge routers and the GeoDNS (empty / null for a deployment started before they existed). */
  readonly edges: TrafficStatus['edges'];
  readonly dns: TrafficStatus['dns'];
  readonly regions: RegionView[];
}

interface ClusterAnswer {
  peers: Array<{
    name: string;
    healthy: boolean;
    rttMs: number | null;
    lagMs: number | null;
    replication: { pending: number } | null;
  }>;
}

export async function deploymentStatus(state: DeploymentState): Promise<DeploymentStatus> {
  const regions = await Promise.all(
    state.regions.map(async (r): Promise<RegionView> => {
      const running = isAlive(r.pid);
      const base = { name: r.name, url: r.url, pid: running ? r.pid : null, running };
      if (!running) return { ...base, healthy: false, error: 'process not running', peers: [] };
      try {
        const res = await request(`${r.url}/v1/cluster`, { headersTimeout: 1500, bodyTimeout: 1500 });
        if (res.statusCode !== 200) {
          await res.body.dump();
          return { ...base, healthy: false, error: `HTTP ${res.statusCode}`, peers: [] };
        }
        const cluster = (await res.body.json()) as ClusterAnswer;
        const peers = cluster.peers.map((p) => ({
          name: p.name,
          healthy: p.healthy,
          rttMs: p.rttMs,
          lagMs: p.lagMs === null ? null : Math.round(p.lagMs),
          pending: p.replication?.pending ?? null,
        }));
        return { ...base, healthy: true, error: null, peers };
      } catch (err) {
        return { ...base, healthy: false, error: (err as Error).message, peers: [] };
      }
    }),
  );
  return {
    startedAt: state.startedAt,
    dataDir: state.dataDir,
    wan: { controlUrl: state.wan.controlUrl, running: isAlive(state.wan.pid) },
    ...(await trafficStatus(state)),
    regions,
  };
}

export function formatStatus(status: DeploymentStatus): string {
  const lines = [`local deployment started ${status.startedAt} (${status.dataDir})`];
  lines.push(`WAN emulator: ${status.wan.running ? 'running' : 'NOT RUNNING'} at ${status.wan.controlUrl}`);
  const width = Math.max(...status.regions.map((r) => r.name.length), 6);
  for (const r of status.regions) {
    const health = r.healthy ? 'healthy' : `DOWN (${r.error ?? 'unknown'})`;
    lines.push(`${r.name.padEnd(width)}  ${r.url.padEnd(24)}  ${health}`);
    for (const p of r.peers) {
      const rtt = p.rttMs === null ? '   -   ' : `${p.rttMs.toFixed(1).padStart(6)}ms`;
      const lag = p.lagMs === null ? '' : `  lag ${p.lagMs} ms`;
      const pending = p.pending ? `  ${p.pending} pending` : '';
      const health = p.healthy ? 'ok' : 'UNREACHABLE';
      lines.push(`${''.padEnd(width)}    -> ${p.name.padEnd(width)} ${rtt}  ${health}${lag}${pending}`);
    }
  }
  lines.push(...formatTrafficStatus(status));
  return lines.join('\n');
}
