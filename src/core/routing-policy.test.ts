// Tests for the routing decision: each rule, residency as a hard constraint, and fast-check properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decideRoute,
  ROUTING_RULES,
  type RegionFacts,
  type RequestFacts,
  type RoutingPolicy,
} from './routing-policy.ts';

const policy: RoutingPolicy = {
  chain: ['residency', 'sticky', 'weighted', 'geo', 'latency', 'failover'],
  zones: { eu: ['eu-west-1', 'eu-central-1'], us: ['us-east-1'] },
  countries: { FR: ['eu-west-1'] },
  failoverOrder: ['us-east-1'],
  retryAfterSeconds: 5,
};
const request: RequestFacts = {
  clientIp: '198.18.0.1',
  country: null,
  residency: null,
  stickyRegion: null,
  random: 0.5,
};
const region = (name: string, rttMs: number | null, healthy = true, weight = 0): RegionFacts => ({
  name,
  rttMs,
  healthy,
  weight,
});
const world = [
  region('us-east-1', 150),
  region('eu-west-1', 210),
  region('ap-northeast-1', 2),
  region('eu-central-1', 230),
];

test('latency: the lowest measured RTT wins, and the others follow as fallbacks by RTT', () => {
  const d = decideRoute(policy, request, world);
  assert.equal(d.kind, 'route');
  assert.equal(d.kind === 'route' && d.region, 'ap-northeast-1');
  assert.equal(d.rule, 'latency');
  assert.deepEqual(d.kind === 'route' && d.fallbacks, ['us-east-1', 'eu-west-1', 'eu-central-1']);
});

test('residency: an EU resident at a Tokyo edge is served in the EU, best EU region first', () => {
  const d = decideRoute(policy, { ...request, residency: 'eu' }, world);
  assert.equal(d.kind === 'route' && d.region, 'eu-west-1');
  assert.deepEqual(d.kind === 'route' && d.fallbacks, ['eu-central-1']);
  assert.deepEqual(d.allowed, ['eu-west-1', 'eu-central-1']);
  assert.equal(d.steps[0]!.outcome, 'constrained');
});

test('residency: no healthy region in the zone is a 503 with Retry-After, never a region outside', () => {
  const down = world.map((r) => (r.name.startsWith('eu-') ? { ...r, healthy: false } : r));
  const d = decideRoute(policy, { ...request, residency: 'eu' }, down);
  assert.equal(d.kind, 'refuse');
  assert.equal(d.kind === 'refuse' && d.status, 503);
  assert.equal(d.kind === 'refuse' && d.retryAfterSeconds, 5);
  assert.match(d.kind === 'refuse' ? d.reason : '', /none of them is healthy/);
});

test('residency: an unknown zone is a 400 naming the configured zones', () => {
  const d = decideRoute(policy, { ...request, residency: 'mars' }, world);
  assert.equal(d.kind === 'refuse' && d.status, 400);
  assert.match(d.kind === 'refuse' ? d.reason : '', /zones: eu, us/);
});

test('residency left out of the chain ignores the claim', () => {
  const d = decideRoute({ ...policy, chain: ['latency'] }, { ...request, residency: 'eu' }, world);
  assert.equal(d.kind === 'route' && d.region, 'ap-northeast-1');
});

test('sticky: a healthy cookie region wins; an unhealthy one passes to the next rule', () => {
  assert.equal(decideRoute(policy, { ...request, stickyRegion: 'us-east-1' }, world).rule, 'sticky');
  const sick = world.map((r) => (r.name === 'us-east-1' ? { ...r, healthy: false } : r));
  const d = decideRoute(policy, { ...request, stickyRegion: 'us-east-1' }, sick);
  assert.equal(d.rule, 'latency');
  assert.equal(d.steps.find((s) => s.rule === 'sticky')!.outcome, 'passed');
});

test('weighted: the draw splits traffic by weight among healthy weighted regions', () => {
  const canary = world.map((r) =>
    r.name === 'us-east-1' ? { ...r, weight: 90 } : r.name === 'eu-west-1' ? { ...r, weight: 10 } : r,
  );
  const pick = (random: number) => {
    const d = decideRoute(policy, { ...request, random }, canary);
    return d.kind === 'route' ? d.region : undefined;
  };
  assert.equal(pick(0), 'us-east-1');
  assert.equal(pick(0.899), 'us-east-1');
  assert.equal(pick(0.9), 'eu-west-1');
  assert.equal(pick(0.999999), 'eu-west-1');
});

test('geo: the country map wins over latency', () => {
  const d = decideRoute(policy, { ...request, country: 'FR' }, world);
  assert.equal(d.kind === 'route' && d.region, 'eu-west-1');
  assert.equal(d.rule, 'geo');
});

test('failover: without RTTs the configured order decides', () => {
  const noRtt = world.map((r) => ({ ...r, rttMs: null }));
  const d = decideRoute(policy, request, noRtt);
  assert.equal(d.kind === 'route' && d.region, 'us-east-1');
  assert.equal(d.rule, 'failover');
});

test('nothing healthy and no claim: fail open to the best-ranked region', () => {
  const d = decideRoute(
    policy,
    request,
    world.map((r) => ({ ...r, healthy: false })),
  );
  assert.equal(d.kind === 'route' && d.region, 'ap-northeast-1');
  assert.equal(d.rule, 'fail-open');
});

// --- properties -------------------------------------------------------------------------------------

const NAMES = ['us-east-1', 'eu-west-1', 'eu-central-1', 'ap-northeast-1', 'sa-east-1'];
const regionsArb = fc.subarray(NAMES, { minLength: 1 }).chain((names) =>
  fc.tuple(
    ...names.map((name) =>
      fc.record({
        name: fc.constant(name),
        healthy: fc.boolean(),
        rttMs: fc.option(fc.double({ min: 0, max: 400, noNaN: true }), { nil: null }),
        weight: fc.nat({ max: 100 }),
      }),
    ),
  ),
);
const policyArb = fc.record({
  chain: fc.shuffledSubarray([...ROUTING_RULES]),
  zones: fc.record({ eu: fc.subarray(NAMES), us: fc.subarray(NAMES) }),
  countries: fc.dictionary(fc.constantFrom('FR', 'JP', 'US'), fc.subarray(NAMES)),
  failoverOrder: fc.shuffledSubarray(NAMES),
  retryAfterSeconds: fc.integer({ min: 1, max: 60 }),
});
const requestArb = fc.record({
  clientIp: fc.option(fc.ipV4(), { nil: null }),
  country: fc.option(fc.constantFrom('FR', 'JP', 'US', 'BR'), { nil: null }),
  residency: fc.option(fc.constantFrom('eu', 'us'), { nil: null }),
  stickyRegion: fc.option(fc.constantFrom(...NAMES), { nil: null }),
  random: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
});

test('property: a request with a residency claim is never routed outside its zone, fallbacks included', () => {
  fc.assert(
    fc.property(policyArb, requestArb, regionsArb, (p, r, regions) => {
      const policy = { ...p, chain: ['residency' as const, ...p.chain.filter((x) => x !== 'residency')] };
      const d = decideRoute(policy, r, regions);
      if (r.residency === null || d.kind === 'refuse') return;
      const zone = policy.zones[r.residency];
      assert.ok(zone.includes(d.region), `${d.region} outside ${r.residency}`);
      for (const f of d.fallbacks) assert.ok(zone.includes(f), `fallback ${f} outside ${r.residency}`);
    }),
    { numRuns: 2000 },
  );
});

test('property: an unhealthy region is never chosen while a healthy allowed one exists', () => {
  fc.assert(
    fc.property(policyArb, requestArb, regionsArb, (policy, r, regions) => {
      const d = decideRoute(policy, r, regions);
      const allowedHealthy = regions.filter((x) => x.healthy && d.allowed.includes(x.name));
      if (allowedHealthy.length === 0) return;
      assert.equal(d.kind, 'route');
      if (d.kind !== 'route') return;
      assert.ok(regions.find((x) => x.name === d.region)!.healthy, `${d.region} chosen while unhealthy`);
      for (const f of d.fallbacks) assert.ok(regions.find((x) => x.name === f)!.healthy);
      assert.ok(!d.fallbacks.includes(d.region));
    }),
    { numRuns: 2000 },
  );
});

test('property: the decision is a function of its inputs', () => {
  fc.assert(
    fc.property(policyArb, requestArb, regionsArb, (policy, r, regions) => {
      // JSON: fast-check's records have a null prototype, the copies do not.
      assert.equal(
        JSON.stringify(decideRoute(policy, r, regions)),
        JSON.stringify(
          decideRoute(
            policy,
            { ...r },
            regions.map((x) => ({ ...x })),
          ),
        ),
      );
    }),
    { numRuns: 500 },
  );
});
