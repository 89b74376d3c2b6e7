import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from './errors.ts';
import { upstreamPeers } from './topology.ts';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-1', 'sa-east-1'];

test('mesh: every region pulls from every other, in the listed order', () => {
  const peers = upstreamPeers(REGIONS, { kind: 'mesh' });
  assert.deepEqual(peers.get('eu-west-1'), ['us-east-1', 'ap-northeast-1', 'sa-east-1']);
  assert.deepEqual([...peers.keys()], REGIONS);
  assert.deepEqual(upstreamPeers(['solo'], { kind: 'mesh' }).get('solo'), []);
});

test('hub: spokes pull only from the hub, the hub from every spoke', () => {
  const peers = upstreamPeers(REGIONS, { kind: 'hub', hub: 'eu-west-1' });
  assert.deepEqual(peers.get('eu-west-1'), ['us-east-1', 'ap-northeast-1', 'sa-east-1']);
  for (const spoke of ['us-east-1', 'ap-northeast-1', 'sa-east-1'])
    assert.deepEqual(peers.get(spoke), ['eu-west-1']);
});

test('an unknown hub or a repeated region is a config error naming it', () => {
  assert.throws(
    () => upstreamPeers(REGIONS, { kind: 'hub', hub: 'mars-1' }),
    (err) => isMeridianError(err) && err.code === 'invalid_config' && err.message.includes("'mars-1'"),
  );
  assert.throws(
    () => upstreamPeers(['a', 'b', 'a'], { kind: 'mesh' }),
    (err) => isMeridianError(err) && err.message.includes("'a'"),
  );
});

test('every region is reachable from every other through upstream links (changes reach everyone)', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.constantFrom(...REGIONS, 'x', 'y'), { minLength: 1 }),
      fc.nat(),
      fc.boolean(),
      (regions, h, hub) => {
        const topology = hub
          ? { kind: 'hub' as const, hub: regions[h % regions.length]! }
          : { kind: 'mesh' as const };
        const peers = upstreamPeers(regions, topology);
        for (const target of regions) {
          // Regions that receive target's changes: closure over "pulls from someone who has them".
          const has = new Set([target]);
          for (let grew = true; grew;) {
            grew = false;
            for (const r of regions) {
              if (!has.has(r) && (peers.get(r) ?? []).some((p) => has.has(p))) {
                has.add(r);
                grew = true;
              }
            }
          }
          assert.equal(has.size, regions.length);
        }
        for (const [region, ups] of peers) assert.ok(!ups.includes(region));
      },
    ),
  );
});
