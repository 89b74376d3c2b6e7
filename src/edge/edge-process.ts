// Runs one edge router or the GeoDNS from a config, as its own OS process (`meridian edge start`,
// `meridian dns start`): resolves listen addresses and region URLs, and stops cleanly on SIGTERM/SIGINT.

import { resolve } from 'node:path';
import { MeridianError } from '../core/errors.ts';
import type { MeridianConfig } from '../config/schema.ts';
import { createDnsServer } from './dns-server.ts';
import { createEdgeRouter } from './edge-router.ts';
import { openGeoResolver } from './geo-resolver.ts';
import { parseHostPort, urlListenAddress, type ListenAddress } from './host-port.ts';
import { loadRegionGeo } from './region-geo.ts';

export interface Running {
  readonly description: string;
  stop(): Promise<void>;
}

export async function startEdgeProcess(
  config: MeridianConfig,
  options: { name?: string; listen?: string },
): Promise<Running> {
  const edge = options.name === undefined ? undefined : config.edges.find((e) => e.name === options.name);
  if (options.name !== undefined && edge === undefined && options.listen === undefined) {
    const names = config.edges.map((e) => e.name);
    throw new MeridianError(
      'invalid_config',
      `edge '${options.name}' is not in the config (edges: ${names.join(', ') || 'none'}); add it under edges[], or pass --listen`,
    );
  }
  const listen: ListenAddress =
    options.listen !== undefined
      ? parseHostPort(options.listen, '--listen')
      : edge?.url !== undefined
        ? urlListenAddress(edge.url)
        : { host: '127.0.0.1', port: 8080 };
  const name = options.name ?? `edge-${listen.port}`;
  const router = createEdgeRouter({
    config,
    name,
    listen,
    regionUrls: regionUrls(config, edge?.regionUrls ?? {}, `edges.${name}.regionUrls`),
    geo: openGeoResolver(config.routing.geoDatabase && resolve(config.routing.geoDatabase)),
    location: edge?.location,
  });
  const url = await router.start();
  return { description: `edge ${name} ready at ${url}`, stop: () => router.stop() };
}

export async function startDnsProcess(
  config: MeridianConfig,
  options: { listen?: string; status?: string },
): Promise<Running> {
  const listen = parseHostPort(options.listen ?? config.dns.listen ?? '127.0.0.1:5353', '--listen');
  const statusListen = options.status
    ? parseHostPort(options.status, '--status')
    : { host: listen.host, port: listen.port === 0 ? 0 : listen.port + 1 };
  const geo = await loadRegionGeo(config);
  const server = createDnsServer({
    config,
    listen,
    statusListen,
    regionUrls: regionUrls(config, {}, 'regions'),
    geo: openGeoResolver(config.routing.geoDatabase && resolve(config.routing.geoDatabase)),
    regionLocation: (region) => geo.location(region),
    stretch: geo.stretch,
  });
  const started = await server.start();
  return {
    description: `GeoDNS for ${config.dns.name}.${config.dns.zone} on ${started.address}:${started.port} (UDP+TCP), status ${started.statusUrl}`,
    stop: () => server.stop(),
  };
}

/** Region -> URL: the override, else the region's own url (which must then be set). */
function regionUrls(
  config: MeridianConfig,
  overrides: Readonly<Record<string, string>>,
  where: string,
): Record<string, string> {
  return Object.fromEntries(
    config.regions.map((r) => {
      const url = overrides[r.name] ?? r.url;
      if (url === undefined) {
        throw new MeridianError(
          'invalid_config',
          `regions.${r.name}.url is missing (or set ${where}.${r.name}): the router must reach every region`,
        );
      }
      return [r.name, url];
    }),
  );
}

/** Keeps the process alive until SIGTERM/SIGINT, then stops `running` and exits 0. */
export function runUntilSignalled(running: Running, onError: (err: unknown) => never): void {
  const shutdown = () => {
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => onError(err),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
