// Composition root of one region node: store, hybrid clock, document service, replication (source,
// transport, replicator), peer monitor, metrics and HTTP API — wired on one screen.

import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { MeridianError } from '../core/errors.ts';
import { upstreamPeers } from '../core/topology.ts';
import type { MeridianConfig, RegionConfig } from '../config/schema.ts';
import { createPullVerifier } from '../protocol/pull-auth.ts';
import { createSessionTokens } from '../protocol/session-token.ts';
import { createHttpTransport } from '../replication/http-transport.ts';
import { openRegionReplication } from '../replication/region-replication.ts';
import type { ReplicationTransport } from '../replication/replication-port.ts';
import { describeDisconnect } from '../replication/replicator-events.ts';
import type { Replicator } from '../replication/replicator.ts';
import { systemClock } from '../replication/system-clock.ts';
import type { Store } from '../store/store.ts';
import { createCoordinator } from './coordinator.ts';
import { createDocumentService } from './documents.ts';
import { createHttpForwarder } from './http-forwarder.ts';
import { createRegionYjsPort, type RegionYjsPort } from './yjs-documents.ts';
import { attachYjsWebSocket } from '../yjs/yjs-websocket.ts';
import { conflictRule } from '../config/schema.ts';
import { createHttpApi } from './http-api.ts';
import { createRegionMetrics } from './metrics.ts';
import { createPeerMonitor } from './peer-monitor.ts';
import { registerReplicationRoute } from './replication-route.ts';
import { createRebuildGate } from './rebuild-gate.ts';
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

  const metrics = createRegionMetrics(self.name, options.store);
  // The replicator exists only after openRegionReplication; metrics read it through this holder.
  const live: { replicator?: Replicator; yjs?: RegionYjsPort } = {};
  const yjsCollections = new Set(
    Object.keys(config.collections).filter((c) => conflictRule(config.collections[c]!) === 'yjs'),
  );
  const replicationMetrics = createReplicationMetrics(metrics.registry, () => live.replicator);
  const secret = peerNames.length > 0 ? clusterSecret(config, options.secret) : undefined;
  const transport =
    secret === undefined
      ? undefined
      : createHttpTransport({
          region: self.name,
          secret,
          peerUrls,
          now,
          onBytes: (peer, bytes) => replicationMetrics.onBytesReceived(peer, bytes),
        });
  const { replication: settings } = config;
  const topology =
    settings.topology === 'hub' ? { kind: 'hub' as const, hub: settings.hub! } : { kind: 'mesh' as const };
  const applied = await options.store.appliedSeqs();
  const gate = createRebuildGate({
    region: self.name,
    peers: peerNames,
    // Empty: nothing applied (a store rebuilt from a snapshot has an empty log but an applied vector).
    rebuilding: Object.keys(applied).length === 0,
    graceMs: settings.idleTimeout,
  });
  // The same composition the simulator runs: notifying store, region clock, source, replicator.
  const replication = await openRegionReplication({
    region: self.name,
    store: options.store,
    transport: transport ?? noPeers,
    upstream: transport
      ? (upstreamPeers(
          config.regions.map((r) => r.name),
          topology,
        ).get(self.name) ?? [])
      : [],
    regions: config.regions.map((r) => r.name),
    clock,
    random: Math.random,
    maxClockOffsetMs: settings.maxClockOffset,
    sourceTuning: {
      maxBatchEntries: settings.batchMaxChanges,
      maxBatchBytes: settings.batchMaxBytes,
      lingerMs: settings.linger,
      heartbeatMs: settings.heartbeat,
    },
    replicatorTuning: { idleTimeoutMs: settings.idleTimeout },
    // A region rebuilding after it lost its store must not vouch for its own past changes.
    isCurrent: () => gate.open,
    retentionTuning: { gcIntervalMs: settings.gcInterval, tombstoneGraceMs: settings.tombstoneGrace },
    onEvent(event) {
      replicationMetrics.onEvent(event);
      if (event.type === 'connected') {
        gate.onConnected(event.peer, event.senderApplied, now());
        logger.info({ peer: event.peer, senderHead: event.senderHead }, `replicating from ${event.peer}`);
      } else if (event.type === 'applied') {
        gate.onApplied(event.entry.origin, event.entry.originSeq, now());
        if (event.result === 'applied' && yjsCollections.has(event.entry.collection)) {
          void live.yjs?.changed(event.entry.collection, event.entry.key).catch((err: unknown) => {
            logger.warn(
              { err, key: event.entry.key },
              'could not send a replicated Yjs change to its clients',
            );
          });
        }
      } else if (event.type === 'snapshot') {
        // Our own changes can come back through a snapshot too.
        gate.onApplied(self.name, event.applied[self.name] ?? 0, now());
        logger.info(
          { peer: event.peer, records: event.records, applied: event.applied },
          `installed a snapshot from ${event.peer}`,
        );
      } else if (event.type === 'snapshot-sent') {
        logger.info(
          { peer: event.peer, records: event.records, origins: event.origins },
          `sent a snapshot to ${event.peer}: it lacked changes this log no longer holds`,
        );
      } else if (event.type === 'disconnected' && event.reason.kind !== 'stopped') {
        logger.warn(
          { peer: event.peer, retryInMs: event.retryInMs },
          `replication from ${event.peer} stopped: ${describeDisconnect(event.reason)}`,
        );
      } else if (event.type === 'refused') {
        logger.error(
          { origin: event.origin, key: event.key, version: event.version, offsetMs: event.offsetMs },
          `refused a change from ${event.origin}: its clock is ${event.offsetMs} ms ahead of ours (replication.maxClockOffset ${settings.maxClockOffset} ms)`,
        );
      }
    },
  });
  const { store, regionClock } = replication;
  const replicator = transport ? replication.replicator : undefined;
  live.replicator = replicator;
  const documents = createDocumentService({
    config,
    region: self.name,
    store,
    nextVersion: () => regionClock.tick(),
    checkWritable: () => gate.check(),
  });
  // Session tokens verify in every region: signed with the cluster secret (a single region without one
  // signs with a key of its own process, so its tokens last as long as it runs).
  const tokens = createSessionTokens(
    secret ??
      config.replication.secret ??
      process.env[config.replication.secretEnv] ??
      randomBytes(32).toString('hex'),
  );
  const forwarder = createHttpForwarder({
    region: self.name,
    peerUrls,
    tokens,
    timeoutMs: forwardTimeoutMs(config),
  });
  const yjsPort = createRegionYjsPort({ config, region: self.name, documents, now });
  const coordinator = createCoordinator({
    config,
    region: self.name,
    documents,
    consistency: replication.consistency,
    forwarder,
    checkCurrent: () => gate.check(),
    now,
    onWritten(request) {
      if (request.op === 'yjs') yjsPort.written(request.collection, request.key!, request.body as Uint8Array);
    },
  });
  const gateTimer = gate.open
    ? undefined
    : setInterval(() => {
        gate.tick(now());
        if (gate.open) {
          clearInterval(gateTimer);
          logger.info('rebuilt from peers: taking writes');
        }
      }, 100).unref();

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
    coordinator,
    tokens,
    store,
    peers,
    replication: () => ({
      stats: replicator?.stats().peers ?? [],
      lagByOrigin: replicationMetrics.lagByOrigin(),
    }),
    metrics,
    logger,
    isReady: () => ready && gate.open,
  });
  live.yjs = yjsPort;
  // Stock y-websocket clients attach at /v1/collections/{collection}/yjs/{key}.
  const yjsServer = attachYjsWebSocket(app.server, {
    port: yjsPort,
    admit: (doc) => yjsPort.admit(doc.collection),
    logger,
  });
  if (secret !== undefined) {
    registerReplicationRoute(app, {
      region: self.name,
      secret,
      verifier: createPullVerifier({ secret, self: self.name, peers: peerNames, windowMs: 5 * 60_000 }),
      source: replication.source,
      now,
      onRejected: (reason) => replicationMetrics.onStreamRejected(reason),
      onFrame: (peer, raw, wire, entries) => replicationMetrics.onFrameSent(peer, raw, wire, entries),
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
      replication.start();
      ready = true;
      logger.info({ url, store: options.store.kind, peers: peerNames }, 'region ready');
      return url;
    },
    stop() {
      stopping ??= (async () => {
        ready = false;
        clearInterval(gateTimer);
        await replication.stop();
        await yjsServer.close();
        // Streams we serve end when their sockets close; fastify closes them with the server.
        app.server.closeAllConnections?.();
        await app.close();
        await transport?.close();
        await forwarder.close();
        await peers.stop();
        await store.close();
        logger.info('region stopped');
      })();
      return stopping;
    },
  };
}

/** A forwarded request may wait for a sync write's acknowledgements or a session to catch up. */
function forwardTimeoutMs(config: MeridianConfig): number {
  const waits = Object.values(config.collections).map(
    (c) => Math.max(c.replication.timeout, c.consistency.sessionWait) * 2,
  );
  return Math.max(10_000, ...waits);
}

/** A single-region deployment pulls from nobody. */
const noPeers: ReplicationTransport = {
  pull(peer) {
    throw new MeridianError(
      'invalid_config',
      `no peer '${peer}': this region has no peers to replicate from`,
    );
  },
};

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
