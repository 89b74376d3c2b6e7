// The region node's HTTP API (fastify): health, metrics, cluster view and the documents API.

import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { MeridianError } from '../core/errors.ts';
import type { MeridianConfig } from '../config/schema.ts';
import type { Precondition, Store } from '../store/store.ts';
import { BUCKETS, bucketKeys, digestCollection, type CollectionDigest } from './digest.ts';
import type { Coordinator, DocRequest } from './coordinator.ts';
import { FORWARDED_BY_HEADER } from './http-forwarder.ts';
import type { SessionTokens } from '../protocol/session-token.ts';
import { CONSISTENCY_LEVELS, conflictRule, type Consistency } from '../config/schema.ts';
import { sendError } from './http-errors.ts';
import type { RegionMetrics } from './metrics.ts';
import type { PeerMonitor } from './peer-monitor.ts';
import type { PeerStats } from '../replication/peer-stats.ts';

export interface HttpApiOptions {
  readonly config: MeridianConfig;
  readonly region: string;
  readonly url: string;
  /** Serves the documents API at the requested consistency (forwarding where the topology says). */
  readonly coordinator: Coordinator;
  /** Reads and issues x-meridian-session tokens. */
  readonly tokens: SessionTokens;
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

export function createHttpApi(options: HttpApiOptions): FastifyInstance {
  const { config, region, peers, metrics } = options;
  const regionNames = config.regions.map((r) => r.name);
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
      collections: Object.entries(config.collections).map(([name, c]) => ({
        name,
        ...c,
        conflict: conflictRule(c),
      })),
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

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/conflicts', async (request) => {
    const { collection, after, limit } = request.query;
    if (collection !== undefined && !Object.hasOwn(config.collections, collection)) {
      throw new MeridianError('unknown_collection', `unknown collection '${collection}'`, {
        details: { collection },
      });
    }
    const cursor = after === undefined ? 0 : wholeNumber('after', after);
    const count = limit === undefined ? 100 : parseLimit(limit);
    if (count < 1 || count > config.limits.maxListLimit) {
      throw new MeridianError(
        'bad_request',
        `limit must be from 1 to ${config.limits.maxListLimit}, got ${count}`,
      );
    }
    const conflicts = await options.store.readConflicts({ collection, after: cursor, limit: count });
    // Pass `next` as `after` to resume; it stays put while there is nothing new (a feed to poll).
    return { region, conflicts, next: conflicts.at(-1)?.id ?? cursor };
  });

  const docPath = '/v1/collections/:collection/docs/:key';
  type DocQuery = Record<string, string | undefined>;

  /** Runs a document request through the coordinator and writes its answer, session token included. */
  async function serve(
    request: FastifyRequest<{ Querystring: DocQuery }>,
    reply: FastifyReply,
    doc: Pick<DocRequest, 'op' | 'collection' | 'key' | 'body' | 'precondition' | 'list' | 'context'>,
  ): Promise<FastifyReply> {
    const forwardedBy = header(request, FORWARDED_BY_HEADER);
    const served = await options.coordinator.handle({
      ...doc,
      ...readConsistency(request),
      session: options.tokens.read(request.headers['x-meridian-session']),
      forwardedBy: forwardedBy !== undefined && regionNames.includes(forwardedBy) ? forwardedBy : undefined,
    });
    reply.header('x-meridian-region', served.region);
    reply.header('x-meridian-session', options.tokens.issue(served.session));
    if (served.forwardedTo !== undefined) reply.header('x-meridian-forwarded-to', served.forwardedTo);
    const answer = served.reply;
    switch (answer.kind) {
      case 'error': {
        const context = answer.error.details.context;
        if (typeof context === 'string') reply.header('x-meridian-context', context);
        return sendError(reply, answer.error);
      }
      case 'doc':
        if (answer.context !== undefined) reply.header('x-meridian-context', answer.context);
        return reply
          .code(answer.status ?? 200)
          .header('etag', `"${answer.version}"`)
          .header('x-meridian-origin', answer.origin)
          .type('application/json; charset=utf-8')
          .send(answer.json);
      case 'written':
        reply.header('etag', `"${answer.version}"`);
        return reply.send({
          key: answer.key,
          version: answer.version,
          region: served.region,
          ...(answer.deleted ? { deleted: true } : {}),
        });
      case 'page':
        return reply.send({ items: answer.items, next: answer.next });
    }
  }

  app.get<{ Params: DocParams; Querystring: DocQuery }>(docPath, async (request, reply) => {
    const { collection, key } = request.params;
    return serve(request, reply, { op: 'get', collection, key });
  });

  app.put<{ Params: DocParams; Querystring: DocQuery }>(docPath, async (request, reply) => {
    const { collection, key } = request.params;
    return serve(request, reply, {
      op: 'put',
      collection,
      key,
      body: request.body,
      precondition: precondition(request),
      context: header(request, 'x-meridian-context'),
    });
  });

  // Yjs updates travel as the binary Yjs encoding.
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  app.post<{ Params: DocParams; Querystring: DocQuery }>(`${docPath}/yjs`, async (request, reply) => {
    const { collection, key } = request.params;
    if (!(request.body instanceof Uint8Array)) {
      throw new MeridianError('unsupported_media_type', 'send the Yjs update as application/octet-stream');
    }
    return serve(request, reply, { op: 'yjs', collection, key, body: request.body });
  });

  app.post<{ Params: DocParams; Querystring: DocQuery }>(`${docPath}/ops`, async (request, reply) => {
    const { collection, key } = request.params;
    return serve(request, reply, { op: 'ops', collection, key, body: request.body });
  });

  app.delete<{ Params: DocParams; Querystring: DocQuery }>(docPath, async (request, reply) => {
    const { collection, key } = request.params;
    return serve(request, reply, {
      op: 'delete',
      collection,
      key,
      precondition: precondition(request),
      context: header(request, 'x-meridian-context'),
    });
  });

  app.get<{ Params: { collection: string }; Querystring: DocQuery }>(
    '/v1/collections/:collection/docs',
    async (request, reply) => {
      const { prefix, after, limit } = request.query;
      return serve(request, reply, {
        op: 'list',
        collection: request.params.collection,
        list: {
          prefix: prefix || undefined,
          after: after || undefined,
          limit: limit === undefined ? undefined : parseLimit(limit),
        },
      });
    },
  );

  return app;
}

/** A query parameter that must be a whole number (`what` says of what, in the error). */
function wholeNumber(name: string, raw: string, what = ''): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new MeridianError(
      'bad_request',
      `${name} must be a whole number${what}, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

const parseLimit = (raw: string): number => wholeNumber('limit', raw);

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

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** consistency and maxStalenessMs, from the query or the x-meridian-* headers. */
function readConsistency(
  request: FastifyRequest<{ Querystring: Record<string, string | undefined> }>,
): Pick<DocRequest, 'consistency' | 'maxStalenessMs'> {
  const level = request.query.consistency ?? header(request, 'x-meridian-consistency');
  if (level !== undefined && !(CONSISTENCY_LEVELS as readonly string[]).includes(level)) {
    throw new MeridianError(
      'bad_request',
      `consistency must be one of ${CONSISTENCY_LEVELS.join(', ')}, got ${JSON.stringify(level)}`,
    );
  }
  const rawBound = request.query.maxStalenessMs ?? header(request, 'x-meridian-max-staleness-ms');
  let maxStalenessMs: number | undefined;
  if (rawBound !== undefined) {
    maxStalenessMs = wholeNumber('maxStalenessMs', rawBound, ' of milliseconds');
    if (level !== undefined && level !== 'bounded') {
      throw new MeridianError(
        'bad_request',
        `maxStalenessMs goes with consistency=bounded, not consistency=${level}`,
      );
    }
  }
  return {
    consistency: (level as Consistency | undefined) ?? (maxStalenessMs === undefined ? undefined : 'bounded'),
    maxStalenessMs,
  };
}
