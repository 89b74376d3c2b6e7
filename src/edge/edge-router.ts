// Composition root of one edge router: health checks of every region, the route decider, an undici Pool per
// region, and a node:http server that proxies each request to the chosen region (retrying an idempotent
// request once in the next-best region when the first never answered) and serves /explain.

import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import pino, { type Logger } from 'pino';
import { MeridianError } from '../core/errors.ts';
import type { GeoPoint } from '../core/geo.ts';
import { decideRoute, type RegionFacts, type RouteDecision } from '../core/routing-policy.ts';
import type { MeridianConfig } from '../config/schema.ts';
import { sendEdgeError, sendJson } from './edge-errors.ts';
import { explainSource, isExplainPath } from './explain-request.ts';
import type { GeoResolver } from './geo-resolver.ts';
import { createHealthChecker, healthSettings, describe, type HealthChecker } from './health-checker.ts';
import { downstreamHeaders, isConnectFailure, isIdempotent, upstreamHeaders } from './proxy.ts';
import { header, type RequestSource } from './request-facts.ts';
import { createRouteDecider, describeDecision, type Decided } from './route-decider.ts';

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
    ...healthSettings(routing),
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

  // The proxy path's decisions. The region facts change only with health and RTT (a check every interval,
  // an ejection or its end): they are kept as one snapshot, rebuilt when any of them moves, and the policy's
  // answer is cached until then per the request inputs it depends on (the peer, x-forwarded-for, the
  // residency header and the cookie: what the client address, its country, the claim and the sticky
  // region come from). A token's verdict depends on the clock, and a draw of the weighted rule on the random
  // number: requests with a token, or any request while weights are in play, are decided afresh.
  let snapshot = regionFacts();
  let weightsInPlay = hasWeights(snapshot);
  const decisions = new Map<string, RouteDecision>();
  const residencyHeader = routing.residency.header;

  function currentFacts(): readonly RegionFacts[] {
    for (let i = 0; i < regionNames.length; i++) {
      const region = regionNames[i]!;
      const facts = snapshot[i]!;
      if (health.routable(region) !== facts.healthy || health.rttMs(region) !== facts.rttMs) {
        snapshot = regionFacts();
        weightsInPlay = hasWeights(snapshot);
        decisions.clear();
        break;
      }
    }
    return snapshot;
  }

  function hasWeights(facts: readonly RegionFacts[]): boolean {
    return routing.policy.includes('weighted') && facts.some((r) => r.healthy && r.weight > 0);
  }

  /** The decision for a proxied request; only its region, fallbacks, rule and refusal are read. */
  function decideRequest(peer: string, headers: IncomingHttpHeaders): RouteDecision {
    const regions = currentFacts();
    const fresh = () =>
      decideRoute(decider.policy, decider.facts({ peer, headers }, random(), now()), regions);
    if (weightsInPlay || headers.authorization !== undefined) return fresh();
    const xff = header(headers, 'x-forwarded-for');
    const zone = header(headers, residencyHeader);
    const cookie = header(headers, 'cookie');
    const key =
      xff === undefined && zone === undefined && cookie === undefined
        ? peer
        : `${peer}\u0000${xff ?? ''}\u0000${zone ?? ''}\u0000${cookie ?? ''}`;
    let decision = decisions.get(key);
    if (decision === undefined) {
      decision = fresh();
      // The key is made of what clients send: keep the cache bounded whatever they send.
      if (decisions.size >= MAX_CACHED_DECISIONS) decisions.clear();
      decisions.set(key, decision);
    }
    return decision;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    counters.requests++;
    const url = req.url ?? '/';
    const peer = req.socket.remoteAddress ?? '';
    if (url.startsWith('/explain') || url.startsWith('/_meridian/')) {
      if (isExplainPath(url)) return void explain(req, res, peer).catch(failed(req, res));
      if (url.startsWith('/_meridian/')) return control(url, res);
    }
    const headers = req.headers;
    // Most requests carry no body: they go out at once, without the stream machinery.
    if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
      return proxy(req, res, url, peer, null);
    }
    readBody(req, routing.limits.maxBodyBytes).then(
      (body) => proxy(req, res, url, peer, body),
      failed(req, res),
    );
  }

  function proxy(
    req: IncomingMessage,
    res: ServerResponse,
    url: string,
    peer: string,
    body: Buffer | null,
  ): void {
    const decision = decideRequest(peer, req.headers);
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
    new Forwarding(res, method, url, headers, body, decision).send(decision.region, decision.rule);
  }

  /**
   * One proxied request as an undici dispatch handler: the region's answer goes straight into the client's
   * ServerResponse (no intermediate body stream); a connect failure of an idempotent request is retried
   * once in the next-best region.
   */
  class Forwarding implements Dispatcher.DispatchHandler {
    private readonly started = performance.now();
    private region = '';
    private route = '';
    private retriedFrom: string | undefined;
    /** The region's answer began: from here on nothing is retried, and a failure cuts the client off. */
    private began = false;
    private done = false;
    private status = 0;
    private out: string[] = [];
    /** A small answer with a content-length, gathered to go out in one write; null: streamed. */
    private chunks: Buffer[] | null = null;
    private abort: ((err?: Error) => void) | null = null;
    private resume: (() => void) | null = null;

    constructor(
      private readonly res: ServerResponse,
      private readonly method: string,
      private readonly path: string,
      private readonly headers: Record<string, string>,
      private readonly body: Buffer | null,
      private readonly decision: Extract<RouteDecision, { kind: 'route' }>,
    ) {}

    send(region: string, route: string, retriedFrom?: string): void {
      this.region = region;
      this.route = route;
      this.retriedFrom = retriedFrom;
      const timeout = routing.limits.requestTimeout;
      pools.get(region)!.dispatch(
        {
          method: this.method,
          path: this.path,
          headers: this.headers,
          body: this.body,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        },
        this,
      );
    }

    onConnect(abort: (err?: Error) => void): void {
      this.abort = abort;
    }

    onHeaders(statusCode: number, raw: Buffer[], resume: () => void): boolean {
      if (statusCode < 200) return true; // 1xx: informational, not forwarded
      this.began = true;
      this.status = statusCode;
      const region = this.region;
      const slow =
        routing.passive.slowResponse !== undefined &&
        performance.now() - this.started > routing.passive.slowResponse;
      const ok = statusCode < 500 && !slow;
      health.recordRequest(region, ok, ok ? undefined : `HTTP ${statusCode}${slow ? ' (slow)' : ''}`);
      counters.proxied++;
      counters.servedBy[region] = (counters.servedBy[region] ?? 0) + 1;

      const { headers: out, contentLength } = downstreamHeaders(raw);
      out.push('x-meridian-region', region, 'x-meridian-route', this.route, 'x-meridian-edge', name);
      if (this.retriedFrom !== undefined) out.push('x-meridian-retried-from', this.retriedFrom);
      if (sticky && this.decision.inputs.request.stickyRegion !== region)
        out.push('set-cookie', sticky(region));
      this.out = out;
      if (contentLength >= 0 && contentLength <= SMALL_BODY_BYTES) {
        // A small body in one write is cheaper than streaming (most API answers are this size).
        this.chunks = [];
        return true;
      }
      const res = this.res;
      res.writeHead(statusCode, out);
      this.resume = resume;
      res.on('drain', () => this.resume?.());
      res.once('close', () => {
        // The client went away mid-answer: stop reading the region's.
        if (!this.done) this.abort?.(new Error('the client closed the connection'));
      });
      return true;
    }

    onData(chunk: Buffer): boolean {
      if (this.chunks !== null) {
        this.chunks.push(chunk);
        return true;
      }
      return this.res.write(chunk);
    }

    onComplete(): void {
      this.done = true;
      const chunks = this.chunks;
      if (chunks === null) return void this.res.end();
      this.res.writeHead(this.status, this.out);
      this.res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    }

    onError(err: Error): void {
      this.done = true;
      // The region, or the client, cut the answer short: the client's connection is closed either way.
      if (this.began) return void this.res.destroy();
      const region = this.region;
      health.recordRequest(region, false, describe(err));
      if (this.retriedFrom !== undefined) return upstreamFailed(this.res, region, err, this.retriedFrom);
      const next = this.decision.fallbacks[0];
      if (!(isConnectFailure(err) && isIdempotent(this.method) && next !== undefined))
        return upstreamFailed(this.res, region, err);
      counters.retries++;
      this.done = false;
      this.abort = null;
      this.send(next, 'retry', region);
    }
  }

  const sticky = routing.policy.includes('sticky')
    ? (region: string) =>
        `${routing.sticky.cookie}=${region}; Path=/; Max-Age=${Math.round(routing.sticky.maxAge / 1000)}; HttpOnly; SameSite=Lax`
    : null;

  function failed(req: IncomingMessage, res: ServerResponse): (err: unknown) => void {
    return (err) => {
      if (!(err instanceof MeridianError) || err.status >= 500)
        logger.error({ err, url: req.url }, 'request failed');
      sendEdgeError(res, err, { 'x-meridian-edge': name });
    };
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
      decision: describeDecision(decision),
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
      try {
        handle(req, res);
      } catch (err) {
        failed(req, res)(err);
      }
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

/** Distinct request inputs whose decision is kept between health changes. */
const MAX_CACHED_DECISIONS = 1024;

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
