// Composition root of one region node: store, document service, peer monitor, metrics and HTTP API.

import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { MeridianError } from '../core/errors.ts';
import type { MeridianConfig, RegionConfig } from '../config/schema.ts';
import type { Store } from '../store/store.ts';
import { createDocumentService } from './documents.ts';
import { createHttpApi } from './http-api.ts';
import { createRegionMetrics } from './metrics.ts';
import { createPeerMonitor } from './peer-monitor.ts';

export interface RegionNodeOptions {
  readonly config: MeridianConfig;
  readonly region: string;
  readonly store: Store;
  readonly logger?: Logger;
  /** Listen here instead of the region's configured url (tests use port 0). */
  readonly listen?: { readonly host: string; readonly port: number };
  readonly now?: () => number;
}

export interface RegionNode {
  readonly app: FastifyInstance;
  /** Starts serving; resolves with the URL it listens on. */
  start(): Promise<string>;
  /** Drains requests, stops probes, closes the store. Safe to call twice. */
  stop(): Promise<void>;
}

export function regionConfig(config: MeridianConfig, name: string): RegionConfig {
  const region = config.regions.find((r) => r.name === name);
  if (!region) {
    throw new MeridianError(
      'invalid_config',
      `region '${name}' is not in the config; regions: ${config.regions.map((r) => r.name).join(', ')}`,
    );
  }
  return region;
}

export async function createRegionNode(options: RegionNodeOptions): Promise<RegionNode> {
  const { config, store } = options;
  const self = regionConfig(config, options.region);
  const listen = options.listen ?? listenAddress(self);
  const logger = options.logger ?? pino({ level: config.log.level, base: { region: self.name } });
  const metrics = createRegionMetrics(self.name, store);
  const lastEntry = (await store.readLog(Math.max(0, (await store.logHead()) - 1), 1))[0];
  const documents = createDocumentService({
    config,
    region: self.name,
    store,
    now: options.now ?? Date.now,
    lastVersion: lastEntry?.version,
  });
  const peers = createPeerMonitor({
    peers: config.regions
      .filter((r) => r.name !== self.name)
      .map((r) => ({ name: r.name, url: self.peerUrls[r.name] ?? requireUrl(r) })),
    intervalMs: config.peers.probeInterval,
    timeoutMs: config.peers.probeTimeout,
    unhealthyAfterMs: config.peers.unhealthyAfter,
    onProbe(peer, rttMs) {
      metrics.peerUp.set({ peer }, rttMs === undefined ? 0 : 1);
      if (rttMs !== undefined) metrics.peerRtt.set({ peer }, rttMs / 1000);
    },
  });
  let ready = false;
  let url = `http://${listen.host}:${listen.port}`;
  const app = createHttpApi({
    config,
    region: self.name,
    get url() {
      return url;
    },
    documents,
    peers,
    metrics,
    logger,
    isReady: () => ready,
  });
  let stopping: Promise<void> | undefined;

  return {
    app,
    async start() {
      await app.listen({ host: listen.host, port: listen.port });
      const address = app.server.address();
      if (address && typeof address === 'object') url = `http://${listen.host}:${address.port}`;
      peers.start();
      ready = true;
      logger.info({ url, store: store.kind }, 'region ready');
      return url;
    },
    stop() {
      stopping ??= (async () => {
        ready = false;
        await app.close();
        await peers.stop();
        await store.close();
        logger.info('region stopped');
      })();
      return stopping;
    },
  };
}

function requireUrl(region: RegionConfig): string {
  if (!region.url) {
    throw new MeridianError(
      'invalid_config',
      `regions.${region.name}.url is missing: a region node needs the url of every peer`,
    );
  }
  return region.url;
}

function listenAddress(region: RegionConfig): { host: string; port: number } {
  const url = new URL(requireUrl(region));
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}
