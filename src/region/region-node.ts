// Composition root of one region node: store, hybrid clock, document service, replication (source,
// transport, replicator), peer monitor, metrics and HTTP API — wired on one screen.

import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { MeridianError } from '../core/errors.ts';
import { upstreamPeers } from '../core/topology.ts';
import type { MeridianConfig, RegionConfig } from '../config/schema.ts';
import { createPullVerifier } from '../protocol/pull-auth.ts';
import { loadRegionClock } from '../replication/highest-version.ts';
import { createHttpTransport } from '../replication/http-transport.ts';
import { createLogNotifier, notifyingStore } from '../replication/log-notifier.ts';
import { createReplicationSource } from '../replication/replication-source.ts';
import { describeDisconnect } from '../replication/replicator-events.ts';
import { createReplicator, type Replicator } from '../replication/replicator.ts';
import { systemClock } from '../replication/system-clock.ts';
import type { Store } from '../store/store.ts';
import { createDocumentService } from './documents.ts';
import { createHttpApi } from './http-api.ts';
import { createRegionMetrics } from './metrics.ts';
import { createPeerMonitor } from './peer-monitor.ts';
import { registerReplicationRoute } from './replication-route.ts';
import { createReplicationMetrics } from './replication-metrics.ts';

export interface RegionNodeOptions {
  readonly config: MeridianConfig;
  readonly region: string;
  readonly store: Store;
  readonly logger?: Logger;
  /** Listen here instead of the region's configured url (tests use port 0). */
  readonly listen?: { readonly host: string; readonly port: number };
  /** Physical time; tests skew it. */
  readonly now?: () => number;
  /** The cluster secret; default: config.replication.secret, else the environment variable it names. */
  readonly secret?: string;
}

export interface RegionNode {
  readonly app: FastifyInstance;
  readonly replicator: Replicator | undefined;
  /** Starts serving and replicating; resolves with the URL it listens on. */
  start(): Promise<string>;
  /** Drains requests, stops replication and probes, closes the store. Safe to call twice. */
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
  const { config } = options;
  const self = regionConfig(config, options.region);
  const now = options.now ?? Date.now;
  const clock = options.now ? { ...systemClock, now } : systemClock;
  const listen = options.listen ?? listenAddress(self);
  const logger = options.logger ?? pino({ level: config.log.level, base: { region: self.name } });
  const peerNames = config.regions.filter((r) => r.name !== self.name).map((r) => r.name);
  const peerUrls = Object.fromEntries(
    config.regions
      .filter((r) => r.name !== self.name)
      .map((r) => [r.name, self.peerUrls[r.name] ?? requireUrl(r)]),
  );

  // Every append (local write or applied change) rings the notifier, which wakes the streams we serve.
  const appends = createLogNotifier();
  const store = notifyingStore(options.store, appends);
  const regionClock = await loadRegionClock(store, {
    region: self.name,
    now,
    maxOffsetMs: config.replication.maxClockOffset,
  });
  const metrics = createRegionMetrics(self.name, store);
  const documents = createDocumentService({
    config,
    region: self.name,
    store,
    nextVersion: () => regionClock.tick(),
  });

  let replicator: Replicator | undefined;
  const replicationMetrics = createReplicationMetrics(metrics.registry, () => replicator);
  const secret = peerNames.length > 0 ? clusterSecret(config, options.secret) : undefined;
  const transport =
    secret === undefined
      ? undefined
      : createHttpTransport({
          region: self.name,
          secret,
          peerUrls,
          now,
          onBytes: replicationMetrics.onBytesReceived,
        });
  if (transport) {
    const { replication } = config;
    const topology =
      replication.topology === 'hub'
        ? { kind: 'hub' as const, hub: replication.hub! }
        : { kind: 'mesh' as const };
    replicator = createReplicator({
      region: self.name,
      store,
      transport,
      upstream:
        upstreamPeers(
          config.regions.map((r) => r.name),
          topology,
        ).get(self.name) ?? [],
      regionClock,
      clock,
      random: Math.random,
      tuning: { idleTimeoutMs: replication.idleTimeout },
      onEvent(event) {
        replicationMetrics.onEvent(event);
        if (event.type === 'disconnected' && event.reason.kind !== 'stopped') {
          logger.warn(
            { peer: event.peer, retryInMs: event.retryInMs },
            `replication from ${event.peer} stopped: ${describeDisconnect(event.reason)}`,
          );
        } else if (event.type === 'connected') {
          logger.info({ peer: event.peer, senderHead: event.senderHead }, `replicating from ${event.peer}`);
        } else if (event.type === 'refused') {
          logger.error(
            { origin: event.origin, key: event.key, version: event.version, offsetMs: event.offsetMs },
            `refused a change from ${event.origin}: its clock is ${event.offsetMs} ms ahead of ours (replication.maxClockOffset ${replication.maxClockOffset} ms)`,
          );
        }
      },
    });
  }

  const peers = createPeerMonitor({
    peers: peerNames.map((name) => ({ name, url: peerUrls[name]! })),
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
    store,
    peers,
    replication: () => ({
      stats: replicator?.stats().peers ?? [],
      lagByOrigin: replicationMetrics.lagByOrigin(),
    }),
    metrics,
    logger,
    isReady: () => ready,
  });
  if (secret !== undefined) {
    registerReplicationRoute(app, {
      region: self.name,
      secret,
      verifier: createPullVerifier({ secret, self: self.name, peers: peerNames, windowMs: 5 * 60_000 }),
      source: createReplicationSource({
        region: self.name,
        store,
        appends,
        clock,
        tuning: {
          maxBatchEntries: config.replication.batchMaxChanges,
          maxBatchBytes: config.replication.batchMaxBytes,
          lingerMs: config.replication.linger,
          heartbeatMs: config.replication.heartbeat,
        },
      }),
      now,
      onRejected: replicationMetrics.onStreamRejected,
      onFrame: replicationMetrics.onFrameSent,
    });
  }
  let stopping: Promise<void> | undefined;

  return {
    app,
    replicator,
    async start() {
      await app.listen({ host: listen.host, port: listen.port });
      const address = app.server.address();
      if (address && typeof address === 'object') url = `http://${listen.host}:${address.port}`;
      peers.start();
      replicator?.start();
      ready = true;
      logger.info({ url, store: options.store.kind, peers: peerNames }, 'region ready');
      return url;
    },
    stop() {
      stopping ??= (async () => {
        ready = false;
        await replicator?.stop();
        // Streams we serve end when their sockets close; fastify closes them with the server.
        app.server.closeAllConnections?.();
        await app.close();
        await transport?.close();
        await peers.stop();
        await store.close();
        logger.info('region stopped');
      })();
      return stopping;
    },
  };
}

function clusterSecret(config: MeridianConfig, given: string | undefined): string {
  const secret = given ?? config.replication.secret ?? process.env[config.replication.secretEnv];
  if (secret === undefined || secret.length < 16) {
    throw new MeridianError(
      'invalid_config',
      `replication needs a cluster secret of at least 16 characters shared by every region: set replication.secret or the ${config.replication.secretEnv} environment variable`,
    );
  }
  return secret;
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
