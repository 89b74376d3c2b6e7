import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ackCount, documentOwner, place, type PlacementPolicy } from './placement.ts';

const zones = { eu: ['eu-west-1'], jp: ['ap-northeast-1', 'ap-northeast-3'] };
const policy = (p: Partial<PlacementPolicy>): PlacementPolicy => ({
  topology: 'active-active',
  standby: 'forward',
  ...p,
});

describe('documentOwner', () => {
  it('active-active has no owner; single-writer and active-passive have the primary', () => {
    assert.equal(documentOwner(policy({}), 'k', undefined, zones), undefined);
    const sw = policy({ topology: 'single-writer', primary: 'us-east-1' });
    assert.equal(documentOwner(sw, 'k', undefined, zones), 'us-east-1');
    const ap = policy({ topology: 'active-passive', primary: 'eu-west-1' });
    assert.equal(documentOwner(ap, 'k', undefined, zones), 'eu-west-1');
  });

  it('home by the longest key prefix, else the default, else a clear error', () => {
    const p = policy({
      topology: 'home-region',
      home: { keyPrefix: { 'eu/': 'eu-west-1', 'eu/ie/': 'eu-west-2', 'us/': 'us-east-1' } },
    });
    assert.equal(documentOwner(p, 'eu/alice', undefined, zones), 'eu-west-1');
    assert.equal(documentOwner(p, 'eu/ie/bob', undefined, zones), 'eu-west-2');
    assert.throws(() => documentOwner(p, 'zz', undefined, zones), /starts with none of the home prefixes/);
    const withDefault = policy({ ...p, home: { ...p.home, default: 'us-east-1' } });
    assert.equal(documentOwner(withDefault, 'zz', undefined, zones), 'us-east-1');
  });

  it('home by a field of the document, or by its residency zone', () => {
    const field = policy({ topology: 'home-region', home: { field: 'home' } });
    assert.equal(documentOwner(field, 'k', { home: 'ap-northeast-1' }, zones), 'ap-northeast-1');
    assert.throws(() => documentOwner(field, 'k', { name: 'x' }, zones), /has no 'home' field/);
    assert.throws(() => documentOwner(field, 'k', { home: 7 }, zones), /must be a string/);
    const zone = policy({ topology: 'home-region', home: { residencyField: 'zone' } });
    assert.equal(documentOwner(zone, 'k', { zone: 'jp' }, zones), 'ap-northeast-1');
    assert.throws(() => documentOwner(zone, 'k', { zone: 'mars' }, zones), /zone 'mars'/);
  });
});

describe('place', () => {
  const base = { self: 'eu-west-1', retryAfterMs: 1000 } as const;
  it('writes go to their owner, once', () => {
    const sw = policy({ topology: 'single-writer', primary: 'us-east-1' });
    const args = { ...base, policy: sw, owner: 'us-east-1', op: 'write', consistency: 'eventual' } as const;
    assert.deepEqual(place(args), { kind: 'forward', to: 'us-east-1' });
    const again = place({ ...args, forwardedBy: 'ap-northeast-1' });
    assert.equal(again.kind === 'refuse' && again.error.code, 'misdirected');
    assert.deepEqual(place({ ...args, self: 'us-east-1' }), { kind: 'local' });
    const aa = { ...args, policy: policy({}), owner: undefined };
    assert.deepEqual(place(aa), { kind: 'local' });
  });

  it('reads stay local except strong ones, which need an owner', () => {
    const sw = policy({ topology: 'single-writer', primary: 'us-east-1' });
    const read = { ...base, policy: sw, owner: 'us-east-1', op: 'read' } as const;
    for (const level of ['eventual', 'session', 'bounded'] as const) {
      assert.deepEqual(place({ ...read, consistency: level }), { kind: 'local' });
    }
    assert.deepEqual(place({ ...read, consistency: 'strong' }), { kind: 'forward', to: 'us-east-1' });
    const aa = place({ ...read, policy: policy({}), owner: undefined, consistency: 'strong' });
    assert.equal(aa.kind === 'refuse' && aa.error.code, 'consistency_unavailable');
  });

  it('an active-passive standby forwards everything, or refuses with a retry hint', () => {
    const ap = policy({ topology: 'active-passive', primary: 'us-east-1' });
    const read = { ...base, policy: ap, owner: 'us-east-1', op: 'read', consistency: 'eventual' } as const;
    assert.deepEqual(place(read), { kind: 'forward', to: 'us-east-1' });
    const refused = place({ ...read, policy: { ...ap, standby: 'refuse' } });
    assert.ok(refused.kind === 'refuse');
    assert.equal(refused.error.code, 'standby');
    assert.equal(refused.error.status, 503);
    assert.equal(refused.error.details.retryAfterMs, 1000);
  });
});

describe('ackCount', () => {
  it('all, majority or a count capped at the regions', () => {
    assert.equal(ackCount('all', 3), 3);
    assert.equal(ackCount('majority', 3), 2);
    assert.equal(ackCount('majority', 4), 3);
    assert.equal(ackCount('majority', 5), 3);
    assert.equal(ackCount(2, 3), 2);
    assert.equal(ackCount(7, 3), 3);
  });
});
