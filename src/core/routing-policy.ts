// The routing decision: request facts + region facts + an ordered policy chain -> a region, its fallbacks
// and the rule that decided. Pure and deterministic (randomness arrives as a number), so the edge router,
// the GeoDNS and /explain all decide the same way.

export const ROUTING_RULES = ['residency', 'sticky', 'weighted', 'geo', 'latency', 'failover'] as const;
export type RoutingRule = (typeof ROUTING_RULES)[number];
/** How a decision was reached when no rule of the chain decided, or when nothing was healthy. */
export type DecidingRule = RoutingRule | 'default' | 'fail-open';

export interface RegionFacts {
  readonly name: string;
  /** Routable now: active checks say healthy and passive ejection is not in force. */
  readonly healthy: boolean;
  /** RTT to the region as this router sees it (measured by an edge, estimated by the GeoDNS); null: unknown. */
  readonly rttMs: number | null;
  /** Share of weighted traffic; 0 takes none. */
  readonly weight: number;
}

export interface RequestFacts {
  /** The client address after trusted-proxy resolution; null when unknown. */
  readonly clientIp: string | null;
  /** ISO 3166-1 alpha-2 country of the client, from the geolocation database; null when unknown. */
  readonly country: string | null;
  /** The residency zone the request claims (header or token), or null. */
  readonly residency: string | null;
  /** The region named by the sticky cookie, or null. */
  readonly stickyRegion: string | null;
  /** Uniform in [0, 1): drives the weighted rule. */
  readonly random: number;
}

export interface RoutingPolicy {
  readonly chain: readonly RoutingRule[];
  /** Residency zone -> the only regions that may serve it. */
  readonly zones: Readonly<Record<string, readonly string[]>>;
  /** Country code -> preferred regions, best first (the geolocation rule). */
  readonly countries: Readonly<Record<string, readonly string[]>>;
  /** The failover rule's order; regions not listed follow in the order of the region facts. */
  readonly failoverOrder: readonly string[];
  /** Retry-After (seconds) when a residency zone has no healthy region. */
  readonly retryAfterSeconds: number;
}

export interface RuleStep {
  readonly rule: DecidingRule;
  readonly outcome: 'decided' | 'passed' | 'constrained' | 'refused';
  readonly detail: string;
}

export interface DecisionInputs {
  readonly request: RequestFacts;
  readonly regions: readonly RegionFacts[];
  readonly chain: readonly RoutingRule[];
}

export type RouteDecision =
  | {
      readonly kind: 'route';
      readonly region: string;
      /** Other regions to try, best first; all healthy and allowed unless the decision failed open. */
      readonly fallbacks: readonly string[];
      readonly rule: DecidingRule;
      readonly reason: string;
      /** The regions the request may be served by (all of them without a residency claim). */
      readonly allowed: readonly string[];
      readonly steps: readonly RuleStep[];
      readonly inputs: DecisionInputs;
    }
  | {
      readonly kind: 'refuse';
      /** 503: the zone has no healthy region (retry later); 400: the claim names no known zone. */
      readonly status: 400 | 503;
      readonly rule: 'residency';
      readonly reason: string;
      readonly retryAfterSeconds: number | null;
      readonly allowed: readonly string[];
      readonly steps: readonly RuleStep[];
      readonly inputs: DecisionInputs;
    };

export function decideRoute(
  policy: RoutingPolicy,
  request: RequestFacts,
  regions: readonly RegionFacts[],
): RouteDecision {
  const inputs: DecisionInputs = { request, regions, chain: policy.chain };
  const steps: RuleStep[] = [];
  let candidates = regions;

  const residency = request.residency;
  if (policy.chain.includes('residency') && residency !== null) {
    const zone = Object.hasOwn(policy.zones, residency) ? policy.zones[residency] : undefined;
    if (zone === undefined) {
      const known = Object.keys(policy.zones);
      const reason = `residency zone '${residency}' is not configured; zones: ${known.length > 0 ? known.join(', ') : '(none)'}`;
      steps.push({ rule: 'residency', outcome: 'refused', detail: reason });
      return refuse(400, reason, null, [], steps, inputs);
    }
    candidates = regions.filter((r) => zone.includes(r.name));
    const names = candidates.map((r) => r.name);
    if (!candidates.some((r) => r.healthy)) {
      const reason = `residency zone '${residency}' allows only ${zone.join(', ') || '(no region)'}, and none of them is healthy: refused rather than served outside the zone`;
      steps.push({ rule: 'residency', outcome: 'refused', detail: reason });
      return refuse(503, reason, policy.retryAfterSeconds, names, steps, inputs);
    }
    steps.push({
      rule: 'residency',
      outcome: 'constrained',
      detail: `zone '${residency}': only ${names.join(', ')} may serve`,
    });
  } else if (policy.chain.includes('residency')) {
    steps.push({ rule: 'residency', outcome: 'passed', detail: 'no residency claim' });
  }
  const allowed = candidates.map((r) => r.name);
  const healthy = candidates.filter((r) => r.healthy);

  if (healthy.length === 0) {
    // No claim restricts the request and nothing is healthy: fail open (health may be wrong, e.g. only this
    // router's view is cut), trying every region best-first rather than refusing everyone.
    const ranked = rank(candidates, policy);
    const [first, ...rest] = ranked;
    const reason = 'no region is healthy: failing open to the best-ranked region';
    steps.push({ rule: 'fail-open', outcome: 'decided', detail: reason });
    if (first === undefined) {
      return refuse(503, 'no region is configured', policy.retryAfterSeconds, [], steps, inputs);
    }
    return {
      kind: 'route',
      region: first,
      fallbacks: rest,
      rule: 'fail-open',
      reason,
      allowed,
      steps,
      inputs,
    };
  }

  for (const rule of policy.chain) {
    if (rule === 'residency') continue;
    const pick = applyRule(rule, policy, request, healthy);
    steps.push({ rule, outcome: pick.region === undefined ? 'passed' : 'decided', detail: pick.detail });
    if (pick.region !== undefined)
      return routed(pick.region, rule, pick.detail, healthy, allowed, policy, steps, inputs);
  }
  const best = rank(healthy, policy)[0]!;
  const reason = 'no rule of the chain decided: the best-ranked healthy region';
  steps.push({ rule: 'default', outcome: 'decided', detail: reason });
  return routed(best, 'default', reason, healthy, allowed, policy, steps, inputs);
}

function applyRule(
  rule: Exclude<RoutingRule, 'residency'>,
  policy: RoutingPolicy,
  request: RequestFacts,
  healthy: readonly RegionFacts[],
): { region?: string; detail: string } {
  switch (rule) {
    case 'sticky': {
      const sticky = request.stickyRegion;
      if (sticky === null) return { detail: 'no sticky cookie' };
      if (healthy.some((r) => r.name === sticky))
        return { region: sticky, detail: `sticky cookie names ${sticky}` };
      return { detail: `sticky cookie names ${sticky}, which is not healthy or not allowed` };
    }
    case 'weighted': {
      const weighted = healthy.filter((r) => r.weight > 0);
      const total = weighted.reduce((sum, r) => sum + r.weight, 0);
      if (total <= 0) return { detail: 'no healthy region has a weight' };
      let point = Math.min(Math.max(request.random, 0), 1 - Number.EPSILON) * total;
      for (const r of weighted) {
        point -= r.weight;
        if (point < 0)
          return {
            region: r.name,
            detail: `weighted draw ${request.random.toFixed(4)} of ${weights(weighted)}`,
          };
      }
      const last = weighted[weighted.length - 1]!;
      return {
        region: last.name,
        detail: `weighted draw ${request.random.toFixed(4)} of ${weights(weighted)}`,
      };
    }
    case 'geo': {
      if (request.country === null) return { detail: 'client country unknown' };
      const preferred = Object.hasOwn(policy.countries, request.country)
        ? policy.countries[request.country]
        : undefined;
      if (preferred === undefined) return { detail: `no region mapped for country ${request.country}` };
      const hit = preferred.find((name) => healthy.some((r) => r.name === name));
      if (hit === undefined)
        return {
          detail: `country ${request.country} maps to ${preferred.join(', ')}: none healthy and allowed`,
        };
      return { region: hit, detail: `country ${request.country} maps to ${preferred.join(', ')}` };
    }
    case 'latency': {
      const measured = healthy.filter((r) => r.rttMs !== null);
      if (measured.length === 0) return { detail: 'no RTT measured yet' };
      const best = measured.reduce((a, b) => (b.rttMs! < a.rttMs! ? b : a));
      return { region: best.name, detail: `lowest RTT: ${best.name} ${best.rttMs!.toFixed(1)} ms` };
    }
    case 'failover': {
      const order = failoverOrder(healthy, policy);
      return { region: order[0]!, detail: `first healthy in failover order ${order.join(', ')}` };
    }
  }
}

function routed(
  region: string,
  rule: DecidingRule,
  reason: string,
  healthy: readonly RegionFacts[],
  allowed: readonly string[],
  policy: RoutingPolicy,
  steps: readonly RuleStep[],
  inputs: DecisionInputs,
): RouteDecision {
  const fallbacks = rank(healthy, policy).filter((name) => name !== region);
  return { kind: 'route', region, fallbacks, rule, reason, allowed, steps, inputs };
}

function refuse(
  status: 400 | 503,
  reason: string,
  retryAfterSeconds: number | null,
  allowed: readonly string[],
  steps: readonly RuleStep[],
  inputs: DecisionInputs,
): RouteDecision {
  return { kind: 'refuse', status, rule: 'residency', reason, retryAfterSeconds, allowed, steps, inputs };
}

/** Best first: healthy before unhealthy, then lowest RTT (unknown last), then failover order. */
export function rank(regions: readonly RegionFacts[], policy: RoutingPolicy): string[] {
  const order = failoverOrder(regions, policy);
  return [...regions]
    .sort((a, b) => {
      if (a.healthy !== b.healthy) return a.healthy ? -1 : 1;
      const ra = a.rttMs ?? Infinity;
      const rb = b.rttMs ?? Infinity;
      if (ra !== rb) return ra < rb ? -1 : 1;
      return order.indexOf(a.name) - order.indexOf(b.name);
    })
    .map((r) => r.name);
}

function failoverOrder(regions: readonly RegionFacts[], policy: RoutingPolicy): string[] {
  const names = regions.map((r) => r.name);
  return [
    ...policy.failoverOrder.filter((n) => names.includes(n)),
    ...names.filter((n) => !policy.failoverOrder.includes(n)),
  ];
}

function weights(regions: readonly RegionFacts[]): string {
  return regions.map((r) => `${r.name}=${r.weight}`).join(', ');
}
