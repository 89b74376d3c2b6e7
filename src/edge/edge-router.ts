// Composition root of one edge router: health checks of every region, the route decider, an undici Pool per
// region, and a node:http server that proxies each request to the chosen region (retrying an idempotent
// request once in the next-best region when the first never answered) and serves /explain.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Pool, type Dispatcher } from 'undici';
import pino, { type Logger } from 'pino';
import { MeridianError } from '../core/errors.ts';
import type { GeoPoint } from '../core/geo.ts';
import type { RegionFacts } from '../core/routing-policy.ts';
import type { MeridianConfig } from '../config/schema.ts';
import { sendEdgeError, sendJson } from './edge-errors.ts';
import { explainSource, isExplainPath } from './explain-request.ts';
import type { GeoResolver } from './geo-resolver.ts';
import { createHealthChecker, describe, type HealthChecker } from './health-checker.ts';
import { downstreamHeaders, forward, isConnectFailure, isIdempotent, upstreamHeaders } from './proxy.ts';
import type { RequestSource } from './request-facts.ts';
import { createRouteDecider, type Decided } from './route-decider.ts';

export interface EdgeRouterOptions {
  readonly config: MeridianConfig;
  readonly name: string;
  readonly listen: { readonly host: string; readonly port: number };
  /** Region -> the URL this edge reaches it at (a WAN link locally); every region of the config. */
  readonly regionUrls: Readonly<Record<string, string>>;
  readonly geo: GeoResolver;
  readonly location?: GeoPoint;
  readonly logger?: Logger;
  readonly random?: () => number;
  readonly now?: () => number;
  /** Connections per region pool; default 64. */
  readonly connections?: number;
}

export interface EdgeCounters {
  requests: number;
  proxied: number;
  retries: number;
  refused: number;
  upstreamErrors: number;
  clientErrors: Record<string, number>;
  servedBy: Record<string, number>;
}

export interface EdgeRouter {
  /** Listens and starts health checks; resolves with the URL once every region was checked once. */
  start(): Promise<string>;
  /** The decision for a request without sending it anywhere. */
  decide(source: RequestSource): Decided;
  readonly health: HealthChecker;
  readonly counters: EdgeCounters;
  /** Stops listening (in-flight requests finish), checks and pools. Idempotent. */
  stop(): Promise<void>;
}

export function createEdgeRouter(options: EdgeRouterOptions): EdgeRouter {
  const { config, name } = options;
  const { routing } = config;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? pino({ level: config.log.level, base: { edge: name } });
  const regionNames = config.regions.map((r) => r.name);
  const pools = new Map(
    regionNames.map((region) => {
      const url = options.regionUrls[region];
      if (url === undefined)
        throw new MeridianError('invalid_config', `edge ${name} has no URL for region ${region}`);
      return [region, new Pool(url, { connections: options.connections ?? 64, keepAliveTimeout: 30_000 })];
    }),
  );
  const health = createHealthChecker({
    targets: regionNames.map((region) => ({ name: region, url: options.regionUrls[region]! })),
    intervalMs: routing.health.interval,
    timeoutMs: routing.health.timeout,
    path: routing.health.path,
    thresholds: {
      healthyThreshold: routing.health.healthyThreshold,
      unhealthyThreshold: routing.health.unhealthyThreshold,
      ejectAfterErrors: routing.passive.consecutiveErrors,
      ejectForMs: routing.passive.ejectFor,
    },
    now,
    onChange: (region, routable, why) =>
      logger.info({ region, routable, why }, routable ? 'region routable' : 'region not routable'),
  });
  const decider = createRouteDecider(config, options.geo);
  const counters: EdgeCounters = {
    requests: 0,
    proxied: 0,
    retries: 0,
    refused: 0,
    upstreamErrors: 0,
    clientErrors: {},
    servedBy: {},
  };

  function regionFacts(): RegionFacts[] {
    return regionNames.map((region) => ({
      name: region,
      healthy: health.routable(region),
      rttMs: health.rttMs(region),
      weight: routing.weights[region] ?? 0,
    }));
  }

  function decide(source: RequestSource): Decided {
    return decider.decide(source, regionFacts(), random(), now());
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counters.requests++;
    const url = req.url ?? '/';
    const peer = req.socket.remoteAddress ?? '';
    if (isExplainPath(url)) return explain(req, res, peer);
    if (url.startsWith('/_meridian/')) return control(url, res);

    const body = await readBody(req, routing.limits.maxBodyBytes);
    const { decision } = decide({ peer, headers: req.headers });
    if (decision.kind === 'refuse') {
      counters.refused++;
      const err =
        decision.status === 503
          ? new MeridianError('region_unavailable', decision.reason, {
              details: { allowed: decision.allowed },
            })
          : new MeridianError('bad_request', decision.reason);
      const headers: Record<string, string> = { 'x-meridian-route': decision.rule, 'x-meridian-edge': name };
      if (decision.retryAfterSeconds !== null) headers['retry-after'] = String(decision.retryAfterSeconds);
      return sendEdgeError(res, err, headers);
    }

    const method = req.method ?? 'GET';
    const headers = upstreamHeaders(req.headers, peer, body === null ? null : body.length);
    let region = decision.region;
    let route: string = decision.rule;
    let retriedFrom: string | undefined;
    let upstream: Dispatcher.ResponseData;
    const started = performance.now();
    const send = (to: string) =>
      forward(pools.get(to)!, { method, path: url, headers, body, timeoutMs: routing.limits.requestTimeout });
    try {
      upstream = await send(region);
    } catch (err) {
      health.recordRequest(region, false, describe(err));
      const next = decision.fallbacks[0];
      if (!(isConnectFailure(err) && isIdempotent(method) && next !== undefined))
        return upstreamFailed(res, region, err);
      counters.retries++;
      retriedFrom = region;
      region = next;
      route = 'retry';
      try {
        upstream = await send(region);
      } catch (again) {
        health.recordRequest(region, false, describe(again));
        return upstreamFailed(res, region, again, retriedFrom);
      }
    }
    const slow =
      routing.passive.slowResponse !== undefined &&
      performance.now() - started > routing.passive.slowResponse;
    health.recordRequest(
      region,
      upstream.statusCode < 500 && !slow,
      `HTTP ${upstream.statusCode}${slow ? ' (slow)' : ''}`,
    );
    counters.proxied++;
    counters.servedBy[region] = (counters.servedBy[region] ?? 0) + 1;

    const out = downstreamHeaders(upstream.headers);
    out['x-meridian-region'] = region;
    out['x-meridian-route'] = route;
    out['x-meridian-edge'] = name;
    if (retriedFrom !== undefined) out['x-meridian-retried-from'] = retriedFrom;
    if (routing.policy.includes('sticky') && decision.inputs.request.stickyRegion !== region) {
      const cookie = `${routing.sticky.cookie}=${region}; Path=/; Max-Age=${Math.round(routing.sticky.maxAge / 1000)}; HttpOnly; SameSite=Lax`;
      const existing = out['set-cookie'];
      out['set-cookie'] =
        existing === undefined ? cookie : [...(Array.isArray(existing) ? existing : [existing]), cookie];
    }
    const length = Number(upstream.headers['content-length']);
    if (length <= SMALL_BODY_BYTES) {
      // A small body in one write is cheaper than a stream pipeline (most API answers are this size).
      const buffered = await upstream.body.arrayBuffer().catch(() => undefined);
      if (buffered === undefined) return void res.destroy();
      res.writeHead(upstream.statusCode, out);
      res.end(Buffer.from(buffered));
      return;
    }
    res.writeHead(upstream.statusCode, out);
    await pipeline(upstream.body, res).catch(() => {
      // The client went away, or the region cut the body short: the socket is closed either way.
    });
  }

  function upstreamFailed(res: ServerResponse, region: string, err: unknown, retriedFrom?: string): void {
    counters.upstreamErrors++;
    const timedOut = (err as { code?: string }).code?.includes('TIMEOUT') ?? false;
    const tried = retriedFrom === undefined ? region : `${retriedFrom}, then ${region}`;
    sendEdgeError(
      res,
      new MeridianError(
        'region_unavailable',
        `${tried} did not answer (${describe(err)}); the request ${timedOut ? 'may have run: retry only if it is idempotent' : 'can be retried'}`,
        { status: timedOut ? 504 : 502, details: { region } },
      ),
      { 'x-meridian-region': region, 'x-meridian-edge': name },
    );
  }

  async function explain(req: IncomingMessage, res: ServerResponse, peer: string): Promise<void> {
    const source = await explainSource(req, peer, routing.limits.maxBodyBytes);
    const { decision, explained } = decide(source);
    const views = new Map(health.view().map((v) => [v.name, v]));
    sendJson(res, 200, {
      edge: name,
      location: options.location ?? null,
      decision:
        decision.kind === 'route'
          ? {
              kind: 'route',
              region: decision.region,
              fallbacks: decision.fallbacks,
              rule: decision.rule,
              reason: decision.reason,
            }
          : {
              kind: 'refuse',
              status: decision.status,
              rule: decision.rule,
              reason: decision.reason,
              retryAfterSeconds: decision.retryAfterSeconds,
            },
      allowed: decision.allowed,
      steps: decision.steps,
      inputs: {
        ...explained,
        random: decision.inputs.request.random,
        regions: decision.inputs.regions.map((r) => ({ ...r, ...views.get(r.name), healthy: r.healthy })),
        policy: { ...decider.policy, weights: routing.weights },
      },
    });
  }

  function control(url: string, res: ServerResponse): void {
    const path = url.split('?')[0];
    if (path === '/_meridian/healthz') return sendJson(res, 200, { status: 'ok', edge: name });
    if (path === '/_meridian/readyz') {
      if (ready) return sendJson(res, 200, { ready: true, edge: name });
      return sendEdgeError(
        res,
        new MeridianError('unavailable', `edge ${name} is starting: its first health checks are running`),
      );
    }
    if (path === '/_meridian/status') {
      return sendJson(res, 200, {
        edge: name,
        location: options.location ?? null,
        regions: health.view(),
        counters,
      });
    }
    sendEdgeError(
      res,
      new MeridianError(
        'not_found',
        `no edge route ${path}: the edge serves /explain, /_meridian/healthz, /_meridian/readyz and /_meridian/status`,
      ),
    );
  }

  const server: Server = createServer(
    {
      maxHeaderSize: routing.limits.maxHeaderBytes,
      requestTimeout: routing.limits.requestTimeout,
      keepAliveTimeout: 65_000,
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        if (!(err instanceof MeridianError) || err.status >= 500)
          logger.error({ err, url: req.url }, 'request failed');
        sendEdgeError(res, err, { 'x-meridian-edge': name });
      });
    },
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const code = err.code ?? 'unknown';
    counters.clientErrors[code] = (counters.clientErrors[code] ?? 0) + 1;
    if (code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const [status, text, message] =
      code === 'HPE_HEADER_OVERFLOW'
        ? [
            431,
            'Request Header Fields Too Large',
            `request headers are over ${routing.limits.maxHeaderBytes} bytes (routing.limits.maxHeaderBytes): send fewer or smaller headers`,
          ]
        : code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'the request did not arrive in time']
          : [400, 'Bad Request', `malformed HTTP request (${code}): send HTTP/1.1`];
    const body = JSON.stringify({
      error: { code: status === 431 ? 'headers_too_large' : 'bad_request', message },
    });
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  let stopping: Promise<void> | undefined;
  let ready = false;
  return {
    health,
    counters,
    decide,
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.listen.port, options.listen.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      health.start();
      await health.firstRound(routing.health.timeout + 500);
      ready = true;
      const address = server.address();
      const port = address && typeof address === 'object' ? address.port : options.listen.port;
      const url = `http://${options.listen.host}:${port}`;
      logger.info({ url, regions: regionNames }, 'edge ready');
      return url;
    },
    stop() {
      stopping ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await health.stop();
        await Promise.all([...pools.values()].map((p) => p.destroy()));
      })();
      return stopping;
    },
  };
}

/** Answers up to this size (with a content-length) are read whole and written in one go. */
const SMALL_BODY_BYTES = 64 * 1024;

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = req.headers['content-length'];
  // Most requests carry no body: skip the stream machinery for them.
  if (declared === undefined && req.headers['transfer-encoding'] === undefined) return null;
  if (declared !== undefined && Number(declared) > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): MeridianError {
  return new MeridianError(
    'payload_too_large',
    `request body is over ${limit} bytes (routing.limits.maxBodyBytes)`,
  );
}
