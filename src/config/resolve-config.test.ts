import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, resolveConfig } from './resolve-config.ts';
import { demoConfig } from './demo-config.ts';

function issuesOf(raw: unknown): string[] {
  try {
    resolveConfig(raw);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}

const base = { regions: [{ name: 'us-east-1' }], collections: { profiles: {} } };

test('the demo config resolves with defaults filled in and frozen', () => {
  const config = resolveConfig(demoConfig);
  assert.deepEqual(
    config.regions.map((r) => r.name),
    ['us-east-1', 'eu-west-1', 'ap-northeast-1'],
  );
  assert.equal(config.collections['profiles']?.topology, 'active-active');
  assert.equal(config.collections['profiles']?.conflict, 'lww');
  assert.equal(config.collections['profiles']?.replication.mode, 'async');
  assert.equal(config.limits.maxKeyBytes, 1024);
  assert.equal(config.peers.probeInterval, 1000);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.regions[0]));
});

test('an unknown enum value names the path and the allowed values', () => {
  const [issue] = issuesOf({ ...base, collections: { carts: { topology: 'active-activ' } } });
  assert.match(issue!, /^collections\.carts\.topology: expected one of active-active, single-writer/);
  assert.match(issue!, /did you mean 'active-active'/);
});

test('a misspelt key is reported with a suggestion', () => {
  const [issue] = issuesOf({ ...base, colections: {} });
  assert.match(issue!, /^colections: unknown key — did you mean 'collections'\?/);
  const [nested] = issuesOf({ ...base, limits: { maxKeyByte: 10 } });
  assert.match(nested!, /^limits\.maxKeyByte: unknown key — did you mean 'maxKeyBytes'\?/);
});

test('missing regions, bad names, duplicates and bad durations are reported by path', () => {
  assert.match(issuesOf({ collections: {} })[0]!, /^regions: missing/);
  assert.match(
    issuesOf({ ...base, regions: [{ name: 'US East' }] })[0]!,
    /^regions\[0\]\.name: expected a region name/,
  );
  assert.match(
    issuesOf({ ...base, regions: [{ name: 'a' }, { name: 'a' }] })[0]!,
    /^regions\[1\]\.name: duplicate region 'a'/,
  );
  assert.match(
    issuesOf({ ...base, peers: { probeInterval: 'soon' } })[0]!,
    /^peers\.probeInterval: expected a duration/,
  );
  assert.match(
    issuesOf({ ...base, regions: [{ name: 'a', url: 'http://x:1/path' }] })[0]!,
    /^regions\[0\]\.url: expected an http\(s\) base URL/,
  );
});

test('peerUrls must name known regions', () => {
  const [issue] = issuesOf({
    ...base,
    regions: [{ name: 'us-east-1', peerUrls: { 'eu-west-2': 'http://127.0.0.1:1' } }, { name: 'eu-west-1' }],
  });
  assert.match(
    issue!,
    /^regions\[0\]\.peerUrls\.eu-west-2: unknown region 'eu-west-2' — did you mean 'eu-west-1'\?/,
  );
});

test('topologies name the regions they need, and only those', () => {
  const three = {
    regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }, { name: 'ap-northeast-1' }],
  };
  assert.match(
    issuesOf({ ...three, collections: { carts: { topology: 'single-writer' } } })[0]!,
    /^collections\.carts\.primary: missing: a single-writer collection needs its primary region/,
  );
  assert.match(
    issuesOf({ ...three, collections: { carts: { topology: 'active-passive', primary: 'eu-west-2' } } })[0]!,
    /^collections\.carts\.primary: unknown region 'eu-west-2' — did you mean 'eu-west-1'\?/,
  );
  assert.match(
    issuesOf({ ...three, collections: { carts: { primary: 'eu-west-1' } } })[0]!,
    /^collections\.carts\.primary: only single-writer and active-passive collections have a primary/,
  );
  assert.match(
    issuesOf({ ...three, collections: { users: { topology: 'home-region' } } })[0]!,
    /^collections\.users\.home: a home-region collection names where each document's home comes from/,
  );
  assert.match(
    issuesOf({
      ...three,
      collections: { users: { topology: 'home-region', home: { keyPrefix: { 'eu/': 'eu-west-9' } } } },
    })[0]!,
    /^collections\.users\.home\.keyPrefix\.eu\/: unknown region 'eu-west-9'/,
  );
  assert.match(
    issuesOf({
      ...three,
      collections: { users: { topology: 'home-region', home: { residencyField: 'zone' } } },
    })[0]!,
    /^collections\.users\.home\.residencyField: residency homes need zones/,
  );
  assert.match(
    issuesOf({ ...three, collections: { carts: { replication: { mode: 'sync', ack: 4 } } } })[0]!,
    /^collections\.carts\.replication\.ack: 4 regions cannot acknowledge: the deployment has 3/,
  );
  assert.match(
    issuesOf({ ...three, collections: { carts: { replication: { mode: 'sync', ack: 'most' } } } })[0]!,
    /^collections\.carts\.replication\.ack/,
  );
  assert.match(
    issuesOf({ ...three, collections: { carts: { consistency: { defualt: 'strong' } } } })[0]!,
    /^collections\.carts\.consistency\.defualt: unknown key — did you mean 'default'\?/,
  );
  assert.match(
    issuesOf({
      ...three,
      collections: { users: { topology: 'home-region', home: { field: 'home' }, conflict: 'vector' } },
    })[0]!,
    /^collections\.users\.home: a home named by a document field needs plain documents/,
  );
  const ok = resolveConfig({
    ...three,
    collections: {
      accounts: { topology: 'single-writer', primary: 'us-east-1', replication: { mode: 'sync' } },
    },
  });
  assert.equal(ok.collections['accounts']!.replication.ack, 'majority');
  assert.equal(ok.collections['accounts']!.replication.timeout, 2000);
  assert.equal(ok.collections['accounts']!.consistency.default, 'eventual');
  assert.equal(ok.collections['accounts']!.epoch, 1);
});
