// From an HTTP request to the policy engine's request facts: the client address behind trusted proxies,
// its country, the residency claim (token, then header) and the sticky cookie, each with where it came from.

import { MeridianError } from '../core/errors.ts';
import { resolveClientAddress, type Cidr } from '../core/ip-trust.ts';
import type { RequestFacts } from '../core/routing-policy.ts';
import type { MeridianConfig } from '../config/schema.ts';
import type { GeoAnswer, GeoResolver } from './geo-resolver.ts';
import { residencyFromToken } from './residency-token.ts';

export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface RequestSource {
  /** The TCP peer's address. */
  readonly peer: string;
  readonly headers: HeaderMap;
  /** /explain: a client address given outright (skips x-forwarded-for). */
  readonly ip?: string;
  /** /explain: a token given outright (instead of the authorization header). */
  readonly token?: string;
}

export interface FactsContext {
  readonly routing: MeridianConfig['routing'];
  readonly trusted: readonly Cidr[];
  readonly geo: GeoResolver;
  readonly random: number;
  readonly nowSeconds: number;
}

export interface FactsExplained {
  readonly client: {
    readonly ip: string;
    readonly source: 'given' | 'peer' | 'x-forwarded-for';
    readonly peer: string;
    readonly forwardedFor: string | null;
    readonly hopsTrusted: number;
    readonly ignored: string | null;
  };
  readonly geo:
    (GeoAnswer & { readonly database: string }) | { readonly database: string; readonly found: false };
  readonly residency: {
    readonly zone: string | null;
    readonly source: 'token' | 'header' | null;
    readonly tokenVerified: boolean | null;
  };
  readonly sticky: { readonly cookie: string; readonly region: string | null };
}

export function header(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : (value as string | undefined);
}

export function requestFacts(
  source: RequestSource,
  ctx: FactsContext,
): { facts: RequestFacts; explained: FactsExplained } {
  const forwardedFor = header(source.headers, 'x-forwarded-for');
  const resolved =
    source.ip !== undefined
      ? { ip: source.ip, hopsTrusted: 0, ignored: null }
      : resolveClientAddress(source.peer, forwardedFor, ctx.trusted);
  const client = {
    ip: resolved.ip,
    source:
      source.ip !== undefined
        ? ('given' as const)
        : resolved.hopsTrusted > 0
          ? ('x-forwarded-for' as const)
          : ('peer' as const),
    peer: source.peer,
    forwardedFor: forwardedFor ?? null,
    hopsTrusted: resolved.hopsTrusted,
    ignored: resolved.ignored,
  };
  const geo = ctx.geo.lookup(resolved.ip);

  const { residency: rc, sticky } = ctx.routing;
  const token = residencyFromToken(
    source.token ?? header(source.headers, 'authorization'),
    rc.claim,
    rc.tokenSecret,
    ctx.nowSeconds,
  );
  if (token.kind === 'invalid') {
    throw new MeridianError('bad_request', `${token.reason}: send a valid token, or none`, { status: 401 });
  }
  const headerZone = header(source.headers, rc.header)?.trim().toLowerCase() || null;
  const residency =
    token.kind === 'claim' && token.zone !== null
      ? { zone: token.zone, source: 'token' as const, tokenVerified: token.verified }
      : headerZone !== null
        ? {
            zone: headerZone,
            source: 'header' as const,
            tokenVerified: token.kind === 'claim' ? token.verified : null,
          }
        : { zone: null, source: null, tokenVerified: token.kind === 'claim' ? token.verified : null };

  const stickyRegion = cookie(header(source.headers, 'cookie'), sticky.cookie);
  return {
    facts: {
      clientIp: resolved.ip,
      country: geo?.country ?? null,
      residency: residency.zone,
      stickyRegion,
      random: ctx.random,
    },
    explained: {
      client,
      geo: geo === null ? { database: ctx.geo.source, found: false } : { ...geo, database: ctx.geo.source },
      residency,
      sticky: { cookie: sticky.cookie, region: stickyRegion },
    },
  };
}

function cookie(text: string | undefined, name: string): string | null {
  if (text === undefined) return null;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null;
  }
  return null;
}
