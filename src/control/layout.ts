// Where each process of the local deployment listens: ports from --base-port, and the per-region config
// whose peer URLs point at the WAN emulator's links. Pure: computes, writes nothing.

import type { MeridianConfig, MeridianConfigInput } from '../config/schema.ts';

export const DEFAULT_BASE_PORT = 7100;
const HOST = '127.0.0.1';

export interface LocalLayout {
  readonly host: string;
  readonly wanControlPort: number;
  /** First port of the WAN links; link k (in `linkOrder`) listens on wanLinkBasePort + k. */
  readonly wanLinkBasePort: number;
  readonly regions: ReadonlyArray<{ readonly name: string; readonly port: number; readonly url: string }>;
  /** Directed pairs in the order the WAN emulator allocates their ports. */
  readonly linkOrder: ReadonlyArray<readonly [from: string, to: string]>;
}

/**
 * Ports: base = WAN control API, base+1.. = regions, base+100.. = WAN links (one per directed pair).
 * Up to 99 regions fit; the links of 10 regions use 90 ports.
 */
export function planLayout(config: MeridianConfig, basePort = DEFAULT_BASE_PORT): LocalLayout {
  const names = config.regions.map((r) => r.name);
  const regions = names.map((name, i) => ({
    name,
    port: basePort + 1 + i,
    url: `http://${HOST}:${basePort + 1 + i}`,
  }));
  const linkOrder = names.flatMap((from) =>
    names.filter((to) => to !== from).map((to) => [from, to] as const),
  );
  return { host: HOST, wanControlPort: basePort, wanLinkBasePort: basePort + 100, regions, linkOrder };
}

export function allPorts(layout: LocalLayout): number[] {
  return [
    layout.wanControlPort,
    ...layout.regions.map((r) => r.port),
    ...layout.linkOrder.map((_, k) => layout.wanLinkBasePort + k),
  ];
}

export function linkUrl(layout: LocalLayout, from: string, to: string): string {
  const k = layout.linkOrder.findIndex(([a, b]) => a === from && b === to);
  if (k < 0) throw new Error(`no WAN link ${from} -> ${to}`);
  return `http://${layout.host}:${layout.wanLinkBasePort + k}`;
}

/** The config every region process of the local deployment runs: real URLs, peers reached through the WAN. */
export function deploymentConfig(config: MeridianConfig, layout: LocalLayout): MeridianConfigInput {
  return {
    ...config,
    regions: config.regions.map((region) => ({
      ...region,
      url: layout.regions.find((r) => r.name === region.name)!.url,
      peerUrls: Object.fromEntries(
        config.regions
          .filter((p) => p.name !== region.name)
          .map((p) => [p.name, linkUrl(layout, region.name, p.name)]),
      ),
    })),
  };
}
