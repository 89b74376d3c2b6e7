// The GeoDNS's answer to one decoded query: authoritative for one zone, refusing everything else (no
// recursion), the service name answered with the endpoint of the region the policy engine picks for the
// client (EDNS Client Subnet when present, else the resolver's address). No sockets here.

import dnsPacket, { type Answer, type Packet, type Question } from 'dns-packet';
import type { RouteDecision } from '../core/routing-policy.ts';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type RcodeName = keyof typeof RCODE;

export interface DnsZone {
  /** e.g. 'meridian.test' (lower case, no trailing dot). */
  readonly zone: string;
  /** The service's full name, e.g. 'api.meridian.test'. */
  readonly service: string;
  readonly ttlSeconds: number;
  /** Region -> published addresses. */
  readonly answers: Readonly<
    Record<string, { readonly a: readonly string[]; readonly aaaa: readonly string[] }>
  >;
}

export interface ClientSubnet {
  readonly family: 1 | 2;
  readonly address: string;
  readonly sourcePrefixLength: number;
}

export interface AnswerContext {
  readonly zone: DnsZone;
  /** The policy engine's decision for a client address. */
  decide(clientIp: string): { decision: RouteDecision; geoPrefixLength: number | null };
}

export interface DnsOutcome {
  readonly response: Packet;
  readonly rcode: RcodeName;
  /** The region answered with, when the service name was asked for. */
  readonly region: string | null;
  readonly rule: string | null;
  readonly clientIp: string;
  readonly usedSubnet: boolean;
}

/** The ECS option of a query, when it carries one with a usable prefix (RFC 7871 §7.1.2: 0 opts out). */
export function clientSubnet(query: Packet): ClientSubnet | undefined {
  for (const rr of query.additionals ?? []) {
    if (rr.type !== 'OPT') continue;
    for (const option of rr.options ?? []) {
      const ecs = option as { code: number; family?: number; sourcePrefixLength?: number; ip?: string };
      if (
        ecs.code === 8 &&
        (ecs.family === 1 || ecs.family === 2) &&
        ecs.ip !== undefined &&
        (ecs.sourcePrefixLength ?? 0) > 0
      ) {
        return { family: ecs.family, address: ecs.ip, sourcePrefixLength: ecs.sourcePrefixLength ?? 0 };
      }
    }
  }
  return undefined;
}

export function answerQuery(query: Packet, resolverAddress: string, ctx: AnswerContext): DnsOutcome {
  const { zone } = ctx;
  const rd = ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) !== 0;
  const ecs = clientSubnet(query);
  const edns = (query.additionals ?? []).some((rr) => rr.type === 'OPT');
  const clientIp = ecs?.address ?? resolverAddress;
  const base = { region: null, rule: null, clientIp, usedSubnet: ecs !== undefined };
  const reply = (
    rcode: RcodeName,
    answers: Answer[] = [],
    authorities: Answer[] = [],
    scope?: number,
  ): DnsOutcome => ({
    ...base,
    rcode,
    response: {
      id: query.id,
      type: 'response',
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (rd ? dnsPacket.RECURSION_DESIRED : 0) | RCODE[rcode],
      questions: query.questions ?? [],
      answers,
      authorities,
      additionals: edns ? [opt(ecs, scope)] : [],
    },
  });

  const opcode = ((query.flags ?? 0) >> 11) & 0xf;
  if (opcode !== 0) return reply('NOTIMP');
  const questions = query.questions ?? [];
  if (questions.length !== 1) return reply('FORMERR');
  const question = questions[0] as Question;
  const name = question.name.toLowerCase().replace(/\.$/, '');
  if ((question.class ?? 'IN') !== 'IN') return reply('REFUSED');
  if (name !== zone.zone && !name.endsWith(`.${zone.zone}`)) return reply('REFUSED'); // not ours: no recursion

  const soa = soaRecord(zone);
  if (name === zone.zone) {
    if (question.type === 'SOA') return reply('NOERROR', [soa]);
    if (question.type === 'NS') return reply('NOERROR', [nsRecord(zone)]);
    return reply('NOERROR', [], [soa]);
  }
  if (name !== zone.service) return reply('NXDOMAIN', [], [soa]);

  const { decision, geoPrefixLength } = ctx.decide(clientIp);
  // A scope as long as the database network that matched, and never claiming more than the client sent.
  const scope =
    ecs === undefined
      ? undefined
      : Math.min(geoPrefixLength ?? ecs.sourcePrefixLength, ecs.sourcePrefixLength);
  if (decision.kind === 'refuse') return { ...reply('SERVFAIL', [], [], scope), rule: decision.rule };
  const published = zone.answers[decision.region] ?? { a: [], aaaa: [] };
  const ttl = zone.ttlSeconds;
  const type: string = question.type; // dns-packet's RecordType leaves out ANY, which resolvers still send
  const answers: Answer[] = [];
  if (type === 'A' || type === 'ANY') {
    for (const ip of published.a)
      answers.push({ type: 'A', name: question.name, ttl, class: 'IN', data: ip });
  }
  if (type === 'AAAA' || type === 'ANY') {
    for (const ip of published.aaaa)
      answers.push({ type: 'AAAA', name: question.name, ttl, class: 'IN', data: ip });
  }
  if (type === 'TXT' || type === 'ANY') {
    const text = `region=${decision.region} rule=${decision.rule}`;
    answers.push({ type: 'TXT', name: question.name, ttl, class: 'IN', data: [text] });
  }
  return {
    ...reply('NOERROR', answers, answers.length === 0 ? [soa] : [], scope),
    region: decision.region,
    rule: decision.rule,
  };
}

/** A response sent to us is not a query: it is dropped (and counted), never answered (no reflection loops). */
export function isQuery(packet: Packet): boolean {
  return packet.type !== 'response';
}

function opt(ecs: ClientSubnet | undefined, scope: number | undefined): Answer {
  const options =
    ecs === undefined
      ? []
      : [
          {
            code: 8,
            family: ecs.family,
            sourcePrefixLength: ecs.sourcePrefixLength,
            scopePrefixLength: scope ?? 0,
            ip: ecs.address,
          },
        ];
  return { type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0, options } as unknown as Answer;
}

function soaRecord(zone: DnsZone): Answer {
  return {
    type: 'SOA',
    name: zone.zone,
    ttl: zone.ttlSeconds,
    class: 'IN',
    data: {
      mname: `ns1.${zone.zone}`,
      rname: `hostmaster.${zone.zone}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86_400,
      minimum: zone.ttlSeconds,
    },
  };
}

function nsRecord(zone: DnsZone): Answer {
  return { type: 'NS', name: zone.zone, ttl: zone.ttlSeconds, class: 'IN', data: `ns1.${zone.zone}` };
}
