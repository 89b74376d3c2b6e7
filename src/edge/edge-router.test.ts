// The edge router in-process against two stand-in regions on loopback: routing rules, residency refusal,
// retry after a region dies, passive ejection, forged x-forwarded-for, bad HTTP and /explain.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import pino from 'pino';
import { Agent, request } from 'undici';
import { resolveConfig } from '../config/resolve-config.ts';
import { createEdgeRouter, type EdgeRouter } from './edge-router.ts';
import { openGeoResolver } from './geo-resolver.ts';
import { signToken } from './residency-token.ts';
import { cityAddress } from './sim-geo.ts';
import { findCity, loadWorldCities } from './world-cities.ts';

const cities = loadWorldCities();
const PARIS = cityAddress(findCity(cities, 'Paris'));
const TOKYO = cityAddress(findCity(cities, 'Tokyo'));
const SECRET = 'a-test-secret-of-some-length';

interface StandIn {
  server: Server;
  url: string;
  requests: number;
}

async function standIn(region: string): Promise<StandIn> {
  const self: StandIn = { server: createServer(), url: '', requests: 0 };
  self.server.on('request', (req, res) => {
    if (req.url !== '/healthz') self.requests++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({
        region,
        method: req.method,
        url: req.url,
        xff: req.headers['x-forwarded-for'] ?? null,
        body: Buffer.concat(chunks).toString(),
        status: 'ok',
      });
      res.writeHead(req.url === '/fail' ? 500 : 200, {
        'content-type': 'application/json',
        'x-meridian-region': region,
      });
      res.end(body);
    });
  });
  self.server.listen(0, '127.0.0.1');
  await once(self.server, 'listening');
  const address = self.server.address();
  self.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return self;
}

function kill(s: StandIn): Promise<void> {
  s.server.closeAllConnections();
  return new Promise((resolve) => s.server.close(() => resolve()));
}

let us: StandIn;
let eu: StandIn;
let edge: EdgeRouter;
let edgeUrl: string;
// Connections from 127.0.0.2 come from the trusted proxy; 127.0.0.1 is an ordinary (untrusted) client.
const viaProxy = new Agent({ localAddress: '127.0.0.2' });

async function get(path: string, headers: Record<string, string> = {}, dispatcher?: Agent) {
  const res = await request(`${edgeUrl}${path}`, {
    headers,
    dispatcher,
    headersTimeout: 5000,
    bodyTimeout: 5000,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: JSON.parse(text) as Record<string, unknown> };
}

before(async () => {
  us = await standIn('us-east-1');
  eu = await standIn('eu-west-1');
  const config = resolveConfig({
    regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }],
    collections: {},
    routing: {
      // Latency on loopback is noise: leave it out so the failover order decides deterministically.
      policy: ['residency', 'sticky', 'weighted', 'geo', 'failover'],
      trustedProxies: ['127.0.0.2'],
      countries: { FR: ['eu-west-1'], JP: ['us-east-1'] },
      failoverOrder: ['us-east-1', 'eu-west-1'],
      residency: { zones: { eu: ['eu-west-1'] }, retryAfter: '3s' },
      health: { interval: '100ms', timeout: '500ms' },
      passive: { consecutiveErrors: 2, ejectFor: '1m' },
      limits: { maxHeaderBytes: 4096, maxBodyBytes: 1024 },
    },
  });
  edge = createEdgeRouter({
    config,
    name: 'test-edge',
    listen: { host: '127.0.0.1', port: 0 },
    regionUrls: { 'us-east-1': us.url, 'eu-west-1': eu.url },
    geo: openGeoResolver(undefined),
    logger: pino({ level: 'silent' }),
    random: () => 0.5,
  });
  edgeUrl = await edge.start();
});

after(async () => {
  await edge.stop();
  await Promise.all([kill(us), kill(eu)]);
  await viaProxy.close();
});

describe('edge router', () => {
  it('proxies to the region the policy picks and says which rule decided', async () => {
    const paris = await get('/v1/x', { 'x-forwarded-for': PARIS }, viaProxy);
    assert.equal(paris.status, 200);
    assert.equal(paris.json['region'], 'eu-west-1');
    assert.equal(paris.headers['x-meridian-region'], 'eu-west-1');
    assert.equal(paris.headers['x-meridian-route'], 'geo');
    assert.equal(paris.json['url'], '/v1/x');
    assert.equal(paris.json['xff'], `${PARIS}, 127.0.0.2`);
    const tokyo = await get('/', { 'x-forwarded-for': TOKYO }, viaProxy);
    assert.equal(tokyo.json['region'], 'us-east-1');
  });

  it('sets the sticky cookie, and a sticky cookie wins over geolocation', async () => {
    const first = await get('/', { 'x-forwarded-for': PARIS }, viaProxy);
    assert.match(String(first.headers['set-cookie']), /^meridian-region=eu-west-1; Path=\/; Max-Age=3600/);
    const sticky = await get(
      '/',
      { 'x-forwarded-for': PARIS, cookie: 'a=b; meridian-region=us-east-1' },
      viaProxy,
    );
    assert.equal(sticky.json['region'], 'us-east-1');
    assert.equal(sticky.headers['x-meridian-route'], 'sticky');
    assert.equal(sticky.headers['set-cookie'], undefined);
  });

  it('a forged x-forwarded-for from an untrusted client is ignored (and /explain says so)', async () => {
    const forged = await get('/', { 'x-forwarded-for': PARIS });
    assert.equal(forged.json['region'], 'us-east-1');
    assert.equal(forged.headers['x-meridian-route'], 'failover');
    const why = await get('/explain', { 'x-forwarded-for': PARIS });
    const client = (why.json['inputs'] as { client: { ip: string; ignored: string } }).client;
    assert.equal(client.ip, '127.0.0.1');
    assert.match(client.ignored, /untrusted peer 127\.0\.0\.1 ignored/);
  });

  it('residency: the claim (header or token) keeps the request in its zone', async () => {
    const header = await get('/', { 'x-forwarded-for': TOKYO, 'x-meridian-residency': 'eu' }, viaProxy);
    assert.equal(header.json['region'], 'eu-west-1');
    // JP maps to us-east-1, outside the zone: geolocation passes, the failover order picks within the zone.
    assert.equal(header.headers['x-meridian-route'], 'failover');
    const token = signToken({ sub: 'u1', residency: 'eu' }, SECRET);
    const bearer = await get('/', { authorization: `Bearer ${token}` });
    assert.equal(bearer.json['region'], 'eu-west-1');
    const unknown = await get('/', { 'x-meridian-residency': 'mars' });
    assert.equal(unknown.status, 400);
    assert.match(
      (unknown.json['error'] as { message: string }).message,
      /zone 'mars' is not configured; zones: eu/,
    );
  });

  it('/explain answers for a given ip, residency or token with the decision and every input', async () => {
    const token = signToken({ residency: 'eu' }, SECRET);
    const res = await get(`/explain?ip=${TOKYO}&token=${token}`);
    assert.equal(res.status, 200);
    const decision = res.json['decision'] as { region: string; rule: string };
    assert.equal(decision.region, 'eu-west-1');
    const inputs = res.json['inputs'] as {
      geo: { country: string; city: string };
      residency: { zone: string; source: string };
      regions: Array<{ name: string; healthy: boolean; rttMs: number | null }>;
      policy: { chain: string[] };
    };
    assert.equal(inputs.geo.country, 'JP');
    assert.equal(inputs.geo.city, 'Tokyo');
    assert.deepEqual(inputs.residency, { zone: 'eu', source: 'token', tokenVerified: false });
    assert.deepEqual(
      inputs.regions.map((r) => [r.name, r.healthy, typeof r.rttMs]),
      [
        ['us-east-1', true, 'number'],
        ['eu-west-1', true, 'number'],
      ],
    );
    assert.equal((res.json['steps'] as unknown[]).length, inputs.policy.chain.length);
    const post = await request(`${edgeUrl}/explain`, {
      method: 'POST',
      body: JSON.stringify({ ip: PARIS, headers: { 'X-Meridian-Residency': 'eu' } }),
    });
    const answer = (await post.body.json()) as {
      decision: { region: string };
      inputs: { residency: { source: string } };
    };
    assert.equal(answer.decision.region, 'eu-west-1');
    assert.equal(answer.inputs.residency.source, 'header');
    const bad = await get('/explain?ip=999.1.1.1');
    assert.equal(bad.status, 400);
    assert.match((bad.json['error'] as { message: string }).message, /ip must be an IPv4 or IPv6 address/);
  });

  it('oversized headers get 431 and garbage gets 400, both JSON, both counted', async () => {
    const big = await get('/', { 'x-big': 'x'.repeat(8000) });
    assert.equal(big.status, 431);
    assert.match(
      (big.json['error'] as { message: string }).message,
      /over 4096 bytes \(routing\.limits\.maxHeaderBytes\)/,
    );
    const socket = connect(Number(new URL(edgeUrl).port), '127.0.0.1');
    socket.end('HELLO / WORLD\r\n\r\n');
    let raw = '';
    for await (const chunk of socket) raw += String(chunk);
    assert.match(raw, /^HTTP\/1\.1 400 Bad Request/);
    assert.match(raw, /malformed HTTP request/);
    assert.ok((edge.counters.clientErrors['HPE_HEADER_OVERFLOW'] ?? 0) >= 1);
    const tooBig = await request(`${edgeUrl}/x`, { method: 'PUT', body: 'y'.repeat(2000) });
    assert.equal(tooBig.statusCode, 413);
    await tooBig.body.dump();
  });

  it('an invalid token is refused when tokens must be signed', async () => {
    const config = resolveConfig({
      regions: [{ name: 'us-east-1' }],
      collections: {},
      routing: { residency: { zones: { eu: ['us-east-1'] }, tokenSecret: SECRET } },
    });
    const strict = createEdgeRouter({
      config,
      name: 'strict',
      listen: { host: '127.0.0.1', port: 0 },
      regionUrls: { 'us-east-1': us.url },
      geo: openGeoResolver(undefined),
      logger: pino({ level: 'silent' }),
    });
    const url = await strict.start();
    try {
      const forged = signToken({ residency: 'eu' }, 'another-secret-of-length');
      const res = await request(`${url}/`, { headers: { authorization: `Bearer ${forged}` } });
      assert.equal(res.statusCode, 401);
      assert.match(await res.body.text(), /signature does not verify/);
      const good = await request(`${url}/`, {
        headers: { authorization: `Bearer ${signToken({ residency: 'eu' }, SECRET)}` },
      });
      assert.equal(good.statusCode, 200);
      await good.body.dump();
    } finally {
      await strict.stop();
    }
  });

  it('a region that dies: idempotent requests are retried in the next region; the dead one is ejected', async () => {
    await kill(eu);
    // Within the first health interval the policy still picks eu-west-1: the retry serves from us-east-1.
    const [a, b] = await Promise.all([
      get('/', { 'x-forwarded-for': PARIS }, viaProxy),
      get('/', { 'x-forwarded-for': PARIS }, viaProxy),
    ]);
    for (const res of [a, b]) {
      assert.equal(res.status, 200);
      assert.equal(res.json['region'], 'us-east-1');
    }
    const routes = [a, b].map((r) => r.headers['x-meridian-route']);
    assert.ok(
      routes.every((r) => r === 'retry' || r === 'geo' || r === 'failover'),
      routes.join(),
    );
    // A POST is not retried: it fails with 502 unless health already moved it.
    assert.equal(edge.health.routable('eu-west-1'), false);
    const post = await request(`${edgeUrl}/`, {
      method: 'POST',
      body: '{}',
      headers: { 'x-forwarded-for': PARIS },
      dispatcher: viaProxy,
    });
    assert.equal(post.statusCode, 200);
    assert.equal(post.headers['x-meridian-region'], 'us-east-1');
    await post.body.dump();
  });

  it('with the residency zone dead, requests are refused with 503 and Retry-After, never sent outside', async () => {
    const before = us.requests;
    const res = await get('/', { 'x-meridian-residency': 'eu' });
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '3');
    assert.equal(res.headers['x-meridian-route'], 'residency');
    assert.equal((res.json['error'] as { code: string }).code, 'region_unavailable');
    assert.equal(us.requests, before);
  });
});
