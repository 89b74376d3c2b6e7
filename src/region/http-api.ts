// The region node's HTTP API (fastify): health, metrics, cluster view and the documents API.

import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import { MeridianError } from '../core/errors.ts';
import type { MeridianConfig } from '../config/schema.ts';
import type { Precondition, Store } from '../store/store.ts';
import { BUCKETS, bucketKeys, digestCollection, type CollectionDigest } from './digest.ts';
import type { DocumentService } from './documents.ts';
import { sendError } from './http-errors.ts';
import type { RegionMetrics } from './metrics.ts';
import type { PeerMonitor } from './peer-monitor.ts';
import type { PeerStats } from '../replication/peer-stats.ts';

export interface HttpApiOptions {
  readonly config: MeridianConfig;
  readonly region: string;
  readonly url: string;
  readonly documents: DocumentService;
  readonly store: Store;
  readonly peers: PeerMonitor;
  /** Replication as seen from here: per upstream peer stats, and the last lag per origin. */
  readonly replication: () => { stats: readonly PeerStats[]; lagByOrigin: Readonly<Record<string, number>> };
  readonly metrics: RegionMetrics;
  readonly logger: FastifyBaseLogger;
  /** False while starting and while draining at shutdown. */
  readonly isReady: () => boolean;
}

interface DocParams {
  collection: string;
  key: string;
}

const CONSISTENCY_LEVELS = ['eventual', 'session', 'bounded', 'strong'];

export function createHttpApi(options: HttpApiOptions): FastifyInstance {
  const { config, region, documents, peers, metrics } = options;
  const app = Fastify({
    loggerInstance: options.logger,
    // No log line per request: metrics count them; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.limits.maxBodyBytes,
    // Keys travel in the path; let our own key check answer with a clear error instead of a bare 404.
    routerOptions: { maxParamLength: 64 * 1024 },
    return503OnClosing: true,
  });

  // Documents are JSON only: without its default text parser fastify answers 415 for anything else.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((err, request, reply) => {
    if (!(err instanceof MeridianError) && ((err as { statusCode?: number }).statusCode ?? 500) >= 500) {
      request.log.error({ err, url: request.url }, 'request failed');
    }
    return sendError(reply, err);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new MeridianError(
        'not_found',
        `no route ${request.method} ${request.url.split('?')[0]}: see docs/API.md`,
      ),
    ),
  );

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });

  app.get('/healthz', async () => ({ status: 'ok', region }));
  app.get('/readyz', async (_req, reply) => {
    if (options.isReady()) return { ready: true, region };
    return sendError(
      reply,
      new MeridianError('unavailable', `region ${region} is not ready (starting or shutting down)`),
    );
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
  app.get('/v1/cluster', async () => {
    const { stats, lagByOrigin } = options.replication();
    return {
      region,
      url: options.url,
      peers: peers.status().map((p) => {
        const stream = stats.find((s) => s.peer === p.name);
        return {
          ...p,
          // Commit in that peer's region to apply here, for the last change it originated.
          lagMs: lagByOrigin[p.name] ?? null,
          replication: stream
            ? {
                connected: stream.connected,
                pending: Math.max(0, stream.senderHead - stream.lastPosition),
                applied: stream.applied,
                superseded: stream.superseded,
                duplicate: stream.duplicate,
                refused: stream.refused,
                lastError: stream.lastError ?? null,
              }
            : null,
        };
      }),
      collections: Object.entries(config.collections).map(([name, c]) => ({ name, ...c })),
    };
  });

  app.get<{ Querystring: { collection?: string; bucket?: string } }>('/v1/admin/digest', async (request) => {
    const { collection, bucket } = request.query;
    if (bucket !== undefined) {
      const n = Number(bucket);
      if (
        !collection ||
        !Object.hasOwn(config.collections, collection) ||
        !Number.isInteger(n) ||
        n < 0 ||
        n >= BUCKETS
      ) {
        throw new MeridianError(
          'bad_request',
          `give a known collection and a bucket from 0 to ${BUCKETS - 1}, got collection=${String(collection)} bucket=${bucket}`,
        );
      }
      return { region, collection, bucket: n, keys: await bucketKeys(options.store, collection, n) };
    }
    const names = collection === undefined ? Object.keys(config.collections) : [collection];
    const collections: Record<string, CollectionDigest> = {};
    for (const name of names) {
      if (!Object.hasOwn(config.collections, name))
        throw new MeridianError('unknown_collection', `unknown collection '${name}'`);
      collections[name] = await digestCollection(options.store, name);
    }
    return { region, collections };
  });

  const docPath = '/v1/collections/:collection/docs/:key';
  app.get<{ Params: DocParams; Querystring: { consistency?: string } }>(docPath, async (request, reply) => {
    checkConsistency(request);
    const { collection, key } = request.params;
    const doc = await documents.get(collection, key);
    return reply
      .header('etag', `"${doc.version}"`)
      .header('x-meridian-region', region)
      .header('x-meridian-origin', doc.origin)
      .type('application/json; charset=utf-8')
      .send(doc.json);
  });

  app.put<{ Params: DocParams }>(docPath, async (request, reply) => {
    const { collection, key } = request.params;
    const entry = await documents.put(collection, key, request.body, precondition(request));
    return reply
      .header('etag', `"${entry.version}"`)
      .header('x-meridian-region', region)
      .send({ key, version: entry.version, region });
  });

  app.delete<{ Params: DocParams }>(docPath, async (request, reply) => {
    const { collection, key } = request.params;
    const entry = await documents.remove(collection, key, precondition(request));
    return reply
      .header('x-meridian-region', region)
      .send({ key, version: entry.version, region, deleted: true });
  });

  app.get<{ Params: { collection: string }; Querystring: Record<string, string | undefined> }>(
    '/v1/collections/:collection/docs',
    async (request, reply) => {
      checkConsistency(request);
      const { prefix, after, limit } = request.query;
      const page = await documents.list(request.params.collection, {
        prefix: prefix || undefined,
        after: after || undefined,
        limit: limit === undefined ? undefined : parseLimit(limit),
      });
      return reply.header('x-meridian-region', region).send({
        items: page.items.map((d) => ({ key: d.key, version: d.version, value: d.value })),
        next: page.next,
      });
    },
  );

  return app;
}

function parseLimit(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new MeridianError('bad_request', `limit must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function precondition(request: FastifyRequest): Precondition {
  const ifMatch = request.headers['if-match'];
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifMatch !== undefined && ifNoneMatch !== undefined) {
    throw new MeridianError('bad_request', 'send either If-Match or If-None-Match, not both');
  }
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') {
      throw new MeridianError(
        'bad_request',
        `If-None-Match supports only '*' (create if absent), got ${JSON.stringify(ifNoneMatch)}`,
      );
    }
    return { kind: 'absent' };
  }
  if (ifMatch !== undefined) {
    const version = ifMatch
      .trim()
      .replace(/^W\//, '')
      .replace(/^"(.*)"$/, '$1');
    if (version === '' || version === '*' || version.includes(',')) {
      throw new MeridianError(
        'bad_request',
        `If-Match must be one version from an etag, got ${JSON.stringify(ifMatch)}`,
      );
    }
    return { kind: 'version', version };
  }
  return { kind: 'none' };
}

function checkConsistency(request: FastifyRequest<{ Querystring: { consistency?: string } }>): void {
  const header = request.headers['x-meridian-consistency'];
  const level = request.query.consistency ?? (typeof header === 'string' ? header : undefined);
  if (level === undefined || level === 'eventual') return;
  if (!CONSISTENCY_LEVELS.includes(level)) {
    throw new MeridianError(
      'bad_request',
      `consistency must be one of ${CONSISTENCY_LEVELS.join(', ')}, got ${JSON.stringify(level)}`,
    );
  }
  throw new MeridianError(
    'not_implemented',
    `consistency=${level} is not available in this version yet; use consistency=eventual`,
  );
}
