// The policy engine wired to a router's inputs: the config's policy, the region facts a router supplies
// (an edge's measured health and RTT, or the GeoDNS's estimates), and the request facts. Shared by the edge
// router, its /explain and the GeoDNS, so all three decide alike.

import { parseCidr, type Cidr } from '../core/ip-trust.ts';
import {
  decideRoute,
  type RegionFacts,
  type RequestFacts,
  type RouteDecision,
  type RoutingPolicy,
} from '../core/routing-policy.ts';
import type { MeridianConfig } from '../config/schema.ts';
import type { GeoResolver } from './geo-resolver.ts';
import { requestFacts, type FactsExplained, type RequestSource } from './request-facts.ts';

/** A decision as /explain shows it (the edge's and the GeoDNS's alike). */
export function describeDecision(decision: RouteDecision) {
  return decision.kind === 'route'
    ? {
        kind: 'route' as const,
        region: decision.region,
        fallbacks: decision.fallbacks,
        rule: decision.rule,
        reason: decision.reason,
      }
    : {
        kind: 'refuse' as const,
        status: decision.status,
        rule: decision.rule,
        reason: decision.reason,
        retryAfterSeconds: decision.retryAfterSeconds,
      };
}

export interface Decided {
  readonly decision: RouteDecision;
  readonly explained: FactsExplained;
}

export interface RouteDecider {
  readonly policy: RoutingPolicy;
  /** Throws a MeridianError (401) for a token that fails verification. */
  decide(source: RequestSource, regions: readonly RegionFacts[], random: number, nowMs: number): Decided;
  /** The request facts alone (what the proxy path decides on); throws like `decide`. */
  facts(source: RequestSource, random: number, nowMs: number): RequestFacts;
}

export function routingPolicy(config: MeridianConfig): RoutingPolicy {
  const { routing } = config;
  return {
    chain: routing.policy,
    zones: routing.residency.zones,
    countries: routing.countries,
    failoverOrder: routing.failoverOrder,
    retryAfterSeconds: Math.max(1, Math.ceil(routing.residency.retryAfter / 1000)),
  };
}

export function createRouteDecider(config: MeridianConfig, geo: GeoResolver): RouteDecider {
  const policy = routingPolicy(config);
  const trusted: Cidr[] = config.routing.trustedProxies.map((c) => parseCidr(c)!);
  const context = (random: number, nowMs: number) => ({
    routing: config.routing,
    trusted,
    geo,
    random,
    nowSeconds: Math.floor(nowMs / 1000),
  });
  return {
    policy,
    decide(source, regions, random, nowMs) {
      const { facts, explained } = requestFacts(source, context(random, nowMs));
      return { decision: decideRoute(policy, facts, regions), explained };
    },
    facts(source, random, nowMs) {
      return requestFacts(source, context(random, nowMs)).facts;
    },
  };
}
