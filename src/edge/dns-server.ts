// The authoritative GeoDNS: UDP and TCP on one port (dns-packet codec), active health checks of every
// region, and a small HTTP status API (/healthz, /status with counters, /explain?ip=). Malformed packets
// are dropped and counted, never answered.

import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import dnsPacket, { type Packet } from 'dns-packet';
import pino, { type Logger } from 'pino';
import { MeridianError } from '../core/errors.ts';
import type { GeoPoint } from '../core/geo.ts';
import { parseIp } from '../core/ip-trust.ts';
import type { RegionFacts } from '../core/routing-policy.ts';
import { estimateRttMs } from '../core/rtt-estimate.ts';
import type { MeridianConfig } from '../config/schema.ts';
import { answerQuery, isQuery, type DnsZone, type RcodeName } from './dns-answer.ts';
import { sendEdgeError, sendJson } from './edge-errors.ts';
import type { GeoResolver } from './geo-resolver.ts';
import { createHealthChecker, healthSettings, type HealthChecker } from './health-checker.ts';
import { createRouteDecider, describeDecision, type Decided } from './route-decider.ts';

export interface DnsServerOptions {
  readonly config: MeridianConfig;
  /** UDP and TCP listen here (port 0: the OS picks one port, the same for both). */
  readonly listen: { readonly host: string; readonly port: number };
  /** The HTTP status API; port 0 picks one. */
  readonly statusListen: { readonly host: string; readonly port: number };
  /** Region -> URL its health is checked at. */
  readonly regionUrls: Readonly<Record<string, string>>;
  readonly geo: GeoResolver;
  /** Region locations and the path stretch, to estimate each region's RTT from the client's location. */
  readonly regionLocation: (region: string) => GeoPoint | undefined;
  readonly stretch: number;
  readonly logger?: Logger;
  readonly random?: () => number;
  readonly now?: () => number;
}

export interface DnsCounters {
  queries: number;
  udp: number;
  tcp: number;
  malformed: number;
  byRcode: Partial<Record<RcodeName, number>>;
  byRegion: Record<string, number>;
  withClientSubnet: number;
}

export interface DnsServer {
  start(): Promise<{ address: string; port: number; statusUrl: string }>;
  /** The decision for a client address (what /explain shows). */
  decide(clientIp: string): Decided;
  readonly counters: DnsCounters;
  readonly health: HealthChecker;
  stop(): Promise<void>;
}

const MAX_TCP_MESSAGE = 65_535;
const TCP_IDLE_MS = 10_000;

export function createDnsServer(options: DnsServerOptions): DnsServer {
  const { config } = options;
  const { routing, dns } = config;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? pino({ level: config.log.level, base: { dns: dns.zone } });
  const regionNames = config.regions.map((r) => r.name);
  const zone: DnsZone = {
    zone: dns.zone,
    service: `${dns.name}.${dns.zone}`,
    ttlSeconds: Math.round(dns.ttl / 1000),
    answers: dns.answers,
  };
  const health = createHealthChecker({
    targets: regionNames.map((name) => {
      const url = options.regionUrls[name];
      if (url === undefined)
        throw new MeridianError('invalid_config', `the DNS server has no URL for region ${name}`);
      return { name, url };
    }),
    ...healthSettings(routing),
    now,
    onChange: (region, routable, why) =>
      logger.info(
        { region, routable, why },
        routable ? 'region in DNS answers' : 'region out of DNS answers',
      ),
  });
  const decider = createRouteDecider(config, options.geo);
  const counters: DnsCounters = {
    queries: 0,
    udp: 0,
    tcp: 0,
    malformed: 0,
    byRcode: {},
    byRegion: {},
    withClientSubnet: 0,
  };

  /** Region facts as seen from the client: RTT estimated from its location (none known: no RTT). */
  function decide(clientIp: string): Decided {
    const where = options.geo.lookup(clientIp)?.location ?? null;
    const facts: RegionFacts[] = regionNames.map((name) => {
      const at = options.regionLocation(name);
      return {
        name,
        healthy: health.routable(name),
        rttMs:
          where !== null && at !== undefined
            ? Math.round(estimateRttMs(where, at, options.stretch) * 10) / 10
            : null,
        weight: routing.weights[name] ?? 0,
      };
    });
    return decider.decide({ peer: clientIp, headers: {}, ip: clientIp }, facts, random(), now());
  }

  /** The encoded response, or undefined to drop the message. */
  function handle(
    message: Buffer,
    from: string,
    transport: 'udp' | 'tcp',
    maxUdp: number,
  ): Buffer | undefined {
    let query: Packet;
    try {
      query = dnsPacket.decode(message);
      if (!isQuery(query) || !Array.isArray(query.questions)) throw new Error('not a query');
    } catch {
      counters.malformed++;
      return undefined;
    }
    counters.queries++;
    counters[transport]++;
    const outcome = answerQuery(query, from, {
      zone,
      decide: (clientIp) => {
        const decided = decide(clientIp);
        const geo = options.geo.lookup(clientIp);
        return { decision: decided.decision, geoPrefixLength: geo?.prefixLength ?? null };
      },
    });
    counters.byRcode[outcome.rcode] = (counters.byRcode[outcome.rcode] ?? 0) + 1;
    if (outcome.region !== null)
      counters.byRegion[outcome.region] = (counters.byRegion[outcome.region] ?? 0) + 1;
    if (outcome.usedSubnet) counters.withClientSubnet++;
    let encoded = dnsPacket.encode(outcome.response);
    if (transport === 'udp' && encoded.length > maxUdp) {
      // Too big for the client's buffer: truncated, so it retries over TCP (RFC 1035 §4.2.1).
      encoded = dnsPacket.encode({
        ...outcome.response,
        flags: (outcome.response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
        answers: [],
        authorities: [],
      });
    }
    return encoded;
  }

  function udpLimit(message: Buffer): number {
    try {
      const opt = dnsPacket.decode(message).additionals?.find((rr) => rr.type === 'OPT') as
        { udpPayloadSize?: number } | undefined;
      return Math.max(512, Math.min(opt?.udpPayloadSize ?? 512, 4096));
    } catch {
      return 512;
    }
  }

  const udpFamily = parseIp(options.listen.host)?.version === 6 ? 'udp6' : 'udp4';
  const udp: UdpSocket = createSocket(udpFamily);
  udp.on('message', (message: Buffer, rinfo: RemoteInfo) => {
    const response = handle(message, rinfo.address, 'udp', udpLimit(message));
    if (response !== undefined) udp.send(response, rinfo.port, rinfo.address);
  });
  udp.on('error', (err) => logger.error({ err }, 'UDP socket error'));

  const tcpSockets = new Set<Socket>();
  const tcp: TcpServer = createTcpServer((socket) => {
    tcpSockets.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('close', () => tcpSockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (length === 0 || length > MAX_TCP_MESSAGE) {
          counters.malformed++;
          socket.destroy();
          return;
        }
        if (buffered.length < 2 + length) return;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        const response = handle(message, socket.remoteAddress ?? '', 'tcp', MAX_TCP_MESSAGE);
        if (response === undefined) {
          socket.destroy(); // a stream that carried garbage cannot be trusted to be framed right
          return;
        }
        const framed = Buffer.alloc(2 + response.length);
        framed.writeUInt16BE(response.length, 0);
        response.copy(framed, 2);
        socket.write(framed);
      }
    });
  });

  const status: HttpServer = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dns');
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok', zone: zone.zone });
    if (url.pathname === '/status') {
      return sendJson(res, 200, {
        zone: zone.zone,
        service: zone.service,
        ttlSeconds: zone.ttlSeconds,
        regions: health.view(),
        counters,
      });
    }
    if (url.pathname === '/explain') {
      const ip = url.searchParams.get('ip');
      if (ip === null || parseIp(ip) === undefined) {
        return sendEdgeError(
          res,
          new MeridianError(
            'bad_request',
            `/explain needs ?ip= with an IPv4 or IPv6 address, got ${JSON.stringify(ip)}`,
          ),
        );
      }
      const { decision, explained } = decide(ip);
      return sendJson(res, 200, {
        service: zone.service,
        decision: describeDecision(decision),
        answers: decision.kind === 'route' ? (zone.answers[decision.region] ?? null) : null,
        steps: decision.steps,
        inputs: {
          client: explained.client,
          geo: explained.geo,
          regions: decision.inputs.regions,
          policy: decider.policy,
        },
      });
    }
    sendEdgeError(
      res,
      new MeridianError(
        'not_found',
        `no route ${url.pathname}: the DNS status API serves /healthz, /status and /explain?ip=`,
      ),
    );
  });

  let stopping: Promise<void> | undefined;
  return {
    counters,
    health,
    decide,
    async start() {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(options.listen.port, options.listen.host, () => resolve());
      });
      const tcpAddress = tcp.address();
      const port =
        typeof tcpAddress === 'object' && tcpAddress !== null ? tcpAddress.port : options.listen.port;
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, options.listen.host, () => resolve());
      });
      // The status API answers once every region was checked: its /healthz is the readiness `up` waits for.
      health.start();
      await health.firstRound(routing.health.timeout + 500);
      await new Promise<void>((resolve, reject) => {
        status.once('error', reject);
        status.listen(options.statusListen.port, options.statusListen.host, () => resolve());
      });
      const statusAddress = status.address();
      const statusPort = typeof statusAddress === 'object' && statusAddress !== null ? statusAddress.port : 0;
      const statusUrl = `http://${options.statusListen.host}:${statusPort}`;
      logger.info({ zone: zone.zone, service: zone.service, port, statusUrl }, 'GeoDNS ready');
      return { address: options.listen.host, port, statusUrl };
    },
    stop() {
      stopping ??= (async () => {
        for (const s of tcpSockets) s.destroy();
        await Promise.all([
          new Promise<void>((resolve) => tcp.close(() => resolve())),
          new Promise<void>((resolve) => {
            try {
              udp.close(() => resolve());
            } catch {
              resolve(); // never bound: start() failed before
            }
          }),
          new Promise<void>((resolve) => {
            status.close(() => resolve());
            status.closeAllConnections();
          }),
        ]);
        await health.stop();
      })();
      return stopping;
    },
  };
}
