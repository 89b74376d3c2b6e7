// The GeoDNS in-process: node's resolver and raw dns-packet queries with EDNS Client Subnet, answers per
// location, a dead region leaving the answer within one health interval, refusals and malformed packets.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { createSocket } from 'node:dgram';
import pino from 'pino';
import { resolveConfig } from '../config/resolve-config.ts';
import { createDnsServer, type DnsServer } from './dns-server.ts';
import {
  queryPacket,
  recordData,
  standInRegion,
  tcpQuery,
  udpQuery,
  type StandInRegion,
} from './dns-test-support.ts';
import { openGeoResolver } from './geo-resolver.ts';
import { loadRegionGeo } from './region-geo.ts';
import { cityAddress } from './sim-geo.ts';
import { findCity, loadWorldCities } from './world-cities.ts';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-1'] as const;
const ADDRESS = {
  'us-east-1': '127.0.1.1',
  'eu-west-1': '127.0.1.2',
  'ap-northeast-1': '127.0.1.3',
} as const;
const INTERVAL_MS = 300;
const cities = loadWorldCities();
const subnet = (city: string) => `${cityAddress(findCity(cities, city)).replace(/\.\d+$/, '.0')}/24`;

let regions: Record<string, StandInRegion>;
let dns: DnsServer;
let port: number;
let statusUrl: string;
const resolver = new Resolver({ timeout: 1000, tries: 1 });

before(async () => {
  regions = Object.fromEntries(
    await Promise.all(REGIONS.map(async (r) => [r, await standInRegion(r)] as const)),
  );
  const config = resolveConfig({
    regions: REGIONS.map((name) => ({ name })),
    collections: {},
    routing: { health: { interval: INTERVAL_MS, timeout: '1s' } },
    dns: {
      zone: 'meridian.test',
      ttl: '10s',
      answers: Object.fromEntries(REGIONS.map((r) => [r, { a: [ADDRESS[r]] }])),
    },
  });
  const geo = await loadRegionGeo(config);
  dns = createDnsServer({
    config,
    listen: { host: '127.0.0.1', port: 0 },
    statusListen: { host: '127.0.0.1', port: 0 },
    regionUrls: Object.fromEntries(REGIONS.map((r) => [r, regions[r]!.url])),
    geo: openGeoResolver(undefined),
    regionLocation: (r) => geo.location(r),
    stretch: geo.stretch,
    logger: pino({ level: 'silent' }),
  });
  ({ port, statusUrl } = await dns.start());
  resolver.setServers([`127.0.0.1:${port}`]);
});

after(async () => {
  await dns.stop();
  await Promise.all(Object.values(regions).map((r) => r.kill()));
});

async function answerFor(city: string): Promise<string[]> {
  const answer = await udpQuery(port, queryPacket('api.meridian.test', 'A', subnet(city)));
  assert.ok(answer, `no answer for ${city}`);
  return (answer.answers ?? []).map((a) => String(recordData(a)));
}

describe('GeoDNS', () => {
  it("node's resolver gets an authoritative A record and the TXT explanation", async () => {
    const a = await resolver.resolve4('api.meridian.test', { ttl: true });
    assert.equal(a.length, 1);
    assert.equal(a[0]!.ttl, 10);
    assert.ok(Object.values(ADDRESS).includes(a[0]!.address as '127.0.1.1'));
    const txt = await resolver.resolveTxt('api.meridian.test');
    assert.match(txt[0]!.join(''), /^region=[a-z0-9-]+ rule=(latency|failover)$/);
  });

  it('answers per location with EDNS Client Subnet, echoing the scope', async () => {
    assert.deepEqual(await answerFor('Tokyo'), [ADDRESS['ap-northeast-1']]);
    assert.deepEqual(await answerFor('Paris'), [ADDRESS['eu-west-1']]);
    assert.deepEqual(await answerFor('New York'), [ADDRESS['us-east-1']]);
    const raw = await udpQuery(port, queryPacket('API.Meridian.Test.', 'A', subnet('Paris')));
    assert.ok(raw);
    assert.equal(raw.flag_aa, true);
    assert.equal(raw.flag_ra, false);
    const opt = raw.additionals?.find((rr) => rr.type === 'OPT') as unknown as {
      options: Array<{ code: number; sourcePrefixLength: number; scopePrefixLength: number }>;
    };
    assert.deepEqual(
      opt.options.map((o) => [o.code, o.sourcePrefixLength, o.scopePrefixLength]),
      [[8, 24, 24]],
    );
    const tcp = await tcpQuery(port, queryPacket('api.meridian.test', 'A', subnet('Tokyo')));
    assert.notEqual(tcp, 'closed');
    assert.deepEqual(tcp !== 'closed' && tcp.answers?.map(recordData), [ADDRESS['ap-northeast-1']]);
  });

  it('refuses recursion for other zones, NXDOMAIN for other names, NODATA for AAAA', async () => {
    await assert.rejects(resolver.resolve4('example.com'), { code: 'EREFUSED' });
    await assert.rejects(resolver.resolve4('nope.meridian.test'), { code: 'ENOTFOUND' });
    const aaaa = await udpQuery(port, queryPacket('api.meridian.test', 'AAAA'));
    assert.equal(aaaa?.rcode, 'NOERROR');
    assert.equal(aaaa?.answers?.length, 0);
    assert.equal(aaaa?.authorities?.[0]?.type, 'SOA');
    const soa = await resolver.resolveSoa('meridian.test');
    assert.equal(soa.nsname, 'ns1.meridian.test');
  });

  it('malformed packets are dropped without an answer, and counted', async () => {
    const before = dns.counters.malformed;
    const garbage = [
      Buffer.from('hello'),
      Buffer.alloc(40, 0xff),
      Buffer.from([0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
    ];
    const socket = createSocket('udp4');
    for (const g of garbage) socket.send(g, port, '127.0.0.1');
    // A real query after the garbage on the same socket: its answer proves the garbage was read first.
    socket.send(queryPacket('api.meridian.test', 'A'), port, '127.0.0.1');
    const reply = await new Promise<Buffer>((resolve) =>
      socket.once('message', (msg: Buffer) => resolve(msg)),
    );
    socket.close();
    assert.ok(reply.length > 12);
    assert.equal(dns.counters.malformed, before + 3);
    assert.equal(await tcpQuery(port, Buffer.from('not dns at all')), 'closed');
    assert.equal(dns.counters.malformed, before + 4);
    const status = (await (await fetch(`${statusUrl}/status`)).json()) as { counters: { malformed: number } };
    assert.equal(status.counters.malformed, before + 4);
  });

  it('a region that dies leaves the answer within one health interval', async () => {
    assert.deepEqual(await answerFor('Paris'), [ADDRESS['eu-west-1']]);
    await regions['eu-west-1']!.kill();
    const killedAt = Date.now();
    let changedAt: number | undefined;
    while (Date.now() - killedAt < 5 * INTERVAL_MS) {
      const [address] = await answerFor('Paris');
      if (address !== ADDRESS['eu-west-1']) {
        changedAt = Date.now();
        assert.equal(address, ADDRESS['us-east-1']);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(changedAt !== undefined, 'the answer never changed');
    // One interval, plus the query loop's granularity and a loaded machine's scheduling.
    assert.ok(changedAt - killedAt <= INTERVAL_MS + 150, `changed after ${changedAt - killedAt} ms`);
    const explain = (await (
      await fetch(`${statusUrl}/explain?ip=${cityAddress(findCity(cities, 'Paris'))}`)
    ).json()) as {
      decision: { region: string };
    };
    assert.equal(explain.decision.region, 'us-east-1');
  });
});
