// Tests for the traffic sections of the config: defaults, and errors that name the exact path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, resolveConfig } from './resolve-config.ts';

const base = {
  regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }],
  collections: { profiles: {} },
};

function issuesOf(raw: unknown): string[] {
  try {
    resolveConfig(raw);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}

test('routing, edges and dns default to a complete policy', () => {
  const config = resolveConfig(base);
  assert.deepEqual(config.routing.policy, ['residency', 'sticky', 'weighted', 'geo', 'latency', 'failover']);
  assert.equal(config.routing.health.interval, 500);
  assert.equal(config.routing.residency.header, 'x-meridian-residency');
  assert.deepEqual(config.edges, []);
  assert.equal(config.dns.zone, 'meridian.test');
  assert.equal(config.dns.ttl, 30_000);
});

test('durations and residency zones resolve', () => {
  const config = resolveConfig({
    ...base,
    routing: { health: { interval: '250ms' }, residency: { zones: { eu: ['eu-west-1'] } } },
    dns: { ttl: '5s', zone: 'Example.TEST.' },
  });
  assert.equal(config.routing.health.interval, 250);
  assert.deepEqual(config.routing.residency.zones, { eu: ['eu-west-1'] });
  assert.equal(config.dns.ttl, 5000);
  assert.equal(config.dns.zone, 'example.test');
});

test('unknown regions, bad proxies, duplicate rules and bad addresses name their path', () => {
  const issues = issuesOf({
    ...base,
    routing: {
      policy: ['latency', 'latency'],
      trustedProxies: ['10.0.0.0/33'],
      residency: { zones: { eu: ['eu-west-2'] } },
      countries: { FR: ['eu-wset-1'] },
    },
    edges: [{ name: 'tokyo', regionUrls: { 'ap-northeast-1': 'http://127.0.0.1:1' } }],
    dns: { answers: { 'us-east-1': { a: ['::1'] } } },
  });
  assert.deepEqual(issues.sort(), [
    'dns.answers.us-east-1.a[0]: expected an IPv4 address, got "::1"',
    "edges[0].regionUrls.ap-northeast-1: unknown region 'ap-northeast-1'; regions: us-east-1, eu-west-1",
    "routing.countries.FR[0]: unknown region 'eu-wset-1' — did you mean 'eu-west-1'?",
    "routing.policy[1]: 'latency' appears twice: name each rule once",
    "routing.residency.zones.eu[0]: unknown region 'eu-west-2' — did you mean 'eu-west-1'?",
    'routing.trustedProxies[0]: expected an IP address or CIDR such as \'10.0.0.0/8\', got "10.0.0.0/33"',
  ]);
});

test('a misspelt key in a traffic section gets a suggestion', () => {
  assert.match(
    issuesOf({ ...base, routing: { helth: {} } })[0]!,
    /^routing\.helth: unknown key — did you mean 'health'\?/,
  );
  assert.match(
    issuesOf({ ...base, routing: { health: { intervl: 1 } } })[0]!,
    /^routing\.health\.intervl: unknown key — did you mean 'interval'\?/,
  );
  assert.match(issuesOf({ ...base, routing: { policy: ['latncy'] } })[0]!, /did you mean 'latency'/);
});
