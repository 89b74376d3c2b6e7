// The traffic part of `meridian status`: each edge's process, readiness and view of the regions, and the
// GeoDNS's process and counters, gathered over their HTTP APIs.

import { request } from 'undici';
import type { DeploymentState } from '../control/deployment-state.ts';
import { isAlive } from '../control/processes.ts';

export interface EdgeView {
  readonly name: string;
  readonly city: string | null;
  readonly url: string;
  readonly running: boolean;
  readonly healthy: boolean;
  readonly error: string | null;
  readonly regions: Array<{ name: string; healthy: boolean; rttMs: number | null }>;
}

export interface DnsView {
  readonly service: string;
  readonly address: string;
  readonly port: number;
  readonly statusUrl: string;
  readonly running: boolean;
  readonly healthy: boolean;
  readonly error: string | null;
  readonly regions: Array<{ name: string; healthy: boolean }>;
  readonly counters: Record<string, unknown> | null;
}

export interface TrafficStatus {
  readonly edges: EdgeView[];
  readonly dns: DnsView | null;
}

async function getJson(url: string): Promise<unknown> {
  const res = await request(url, { headersTimeout: 1500, bodyTimeout: 1500 });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`HTTP ${res.statusCode}`);
  }
  return res.body.json();
}

export async function trafficStatus(state: DeploymentState): Promise<TrafficStatus> {
  const edges = await Promise.all(
    (state.edges ?? []).map(async (e): Promise<EdgeView> => {
      const base = { name: e.name, city: e.city, url: e.url, running: isAlive(e.pid) };
      if (!base.running) return { ...base, healthy: false, error: 'process not running', regions: [] };
      try {
        const s = (await getJson(`${e.url}/_meridian/status`)) as EdgeView;
        const regions = s.regions.map((r) => ({ name: r.name, healthy: r.healthy, rttMs: r.rttMs }));
        return { ...base, healthy: true, error: null, regions };
      } catch (err) {
        return { ...base, healthy: false, error: (err as Error).message, regions: [] };
      }
    }),
  );
  const d = state.dns;
  if (!d) return { edges, dns: null };
  const base = {
    service: d.service,
    address: d.address,
    port: d.port,
    statusUrl: d.statusUrl,
    running: isAlive(d.pid),
  };
  let dns: DnsView;
  if (!base.running)
    dns = { ...base, healthy: false, error: 'process not running', regions: [], counters: null };
  else {
    try {
      const s = (await getJson(`${d.statusUrl}/status`)) as {
        regions: DnsView['regions'];
        counters: Record<string, unknown>;
      };
      const regions = s.regions.map((r) => ({ name: r.name, healthy: r.healthy }));
      dns = { ...base, healthy: true, error: null, regions, counters: s.counters };
    } catch (err) {
      dns = { ...base, healthy: false, error: (err as Error).message, regions: [], counters: null };
    }
  }
  return { edges, dns };
}

export function formatTrafficStatus(status: TrafficStatus): string[] {
  const lines: string[] = [];
  for (const e of status.edges) {
    const health = e.healthy ? 'ready' : `DOWN (${e.error ?? 'unknown'})`;
    const view = e.regions
      .map((r) => `${r.name} ${r.healthy ? (r.rttMs === null ? '?' : `${r.rttMs.toFixed(0)}ms`) : 'DOWN'}`)
      .join(', ');
    lines.push(
      `edge ${e.name} (${e.city ?? '?'})  ${e.url.padEnd(24)}  ${health}${view ? `  -> ${view}` : ''}`,
    );
  }
  if (status.dns) {
    const d = status.dns;
    const health = d.healthy ? 'ready' : `DOWN (${d.error ?? 'unknown'})`;
    const out = d.regions.filter((r) => !r.healthy).map((r) => r.name);
    lines.push(
      `GeoDNS ${d.service} at ${d.address}:${d.port}  ${health}${out.length > 0 ? `  (out of answers: ${out.join(', ')})` : ''}`,
    );
  }
  return lines;
}
