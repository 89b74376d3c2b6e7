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
  /** One edge router at each region's city: it reaches its own region directly, the others over the WAN. */
  readonly edges: ReadonlyArray<{
    readonly name: string;
    readonly region: string;
    readonly port: number;
    readonly url: string;
  }>;
  /** The GeoDNS: UDP and TCP on `dnsPort`, its HTTP status API on `dnsStatusPort`. */
  readonly dnsPort: number;
  readonly dnsStatusPort: number;
}

/**
 * Ports: base = WAN control API, base+1.. = regions, base+100.. = WAN links (one per directed pair).
 * Up to 99 regions fit; the links of 10 regions use 90 ports. After the n regions come the n edges, then
 * the GeoDNS and its status API (base+n+1.., while they fit below base+100; after the links otherwise).
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
  const n = names.length;
  const trafficBase = 2 * n + 3 <= 100 ? basePort + 1 + n : basePort + 100 + linkOrder.length;
  const edges = names.map((region, i) => ({
    name: `edge-${region}`,
    region,
    port: trafficBase + i,
    url: `http://${HOST}:${trafficBase + i}`,
  }));
  return {
    host: HOST,
    wanControlPort: basePort,
    wanLinkBasePort: basePort + 100,
    regions,
    linkOrder,
    edges,
    dnsPort: trafficBase + n,
    dnsStatusPort: trafficBase + n + 1,
  };
}

/**
 * The address the GeoDNS publishes for region i: 127.0.1.(i+1). Every local region listens on 127.0.0.1
 * (with its own port), which an A record cannot tell apart; these loopback addresses name the region.
 */
export function regionDnsAddress(index: number): string {
  return `127.0.1.${index + 1}`;
}

export function allPorts(layout: LocalLayout): number[] {
  return [
    layout.wanControlPort,
    ...layout.regions.map((r) => r.port),
    ...layout.linkOrder.map((_, k) => layout.wanLinkBasePort + k),
    ...layout.edges.map((e) => e.port),
    layout.dnsPort,
    layout.dnsStatusPort,
  ];
}

export function linkUrl(layout: LocalLayout, from: string, to: string): string {
  const k = layout.linkOrder.findIndex(([a, b]) => a === from && b === to);
  if (k < 0) throw new Error(`no WAN link ${from} -> ${to}`);
  return `http://${layout.host}:${layout.wanLinkBasePort + k}`;
}

/**
 * The config every process of the local deployment runs: real URLs, peers reached through the WAN, one edge
 * per region city (its own region direct, the others through that region's WAN links, so an edge in Tokyo
 * sees Tokyo's real RTTs), and the GeoDNS publishing a loopback address per region. The load generator
 * stands in for users' networks, so x-forwarded-for from 127.0.0.1 is trusted.
 */
export function deploymentConfig(
  config: MeridianConfig,
  layout: LocalLayout,
  locations: (region: string) => { lat: number; lon: number } | undefined = () => undefined,
): MeridianConfigInput {
  const names = config.regions.map((r) => r.name);
  const regionUrl = (name: string) => layout.regions.find((r) => r.name === name)!.url;
  return {
    ...config,
    routing: {
      ...config.routing,
      trustedProxies: [...new Set([...config.routing.trustedProxies, '127.0.0.1'])],
    },
    edges: [
      ...config.edges,
      ...layout.edges.map((edge) => ({
        name: edge.name,
        url: edge.url,
        location: locations(edge.region),
        regionUrls: Object.fromEntries(
          names.map((to) => [to, to === edge.region ? regionUrl(to) : linkUrl(layout, edge.region, to)]),
        ),
      })),
    ],
    dns: {
      ...config.dns,
      listen: `${layout.host}:${layout.dnsPort}`,
      answers: {
        ...Object.fromEntries(names.map((name, i) => [name, { a: [regionDnsAddress(i)], aaaa: [] }])),
        ...config.dns.answers,
      },
    },
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
