import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPullVerifier, signPull } from './pull-auth.ts';

const options = { secret: 's3cret', self: 'us-east-1', peers: ['us-east-1', 'eu-west-1'], windowMs: 60_000 };

function reasonOf(verdict: { ok: boolean; reason?: string }): string {
  assert.equal(verdict.ok, false);
  return verdict.reason ?? '';
}

describe('pull request authentication', () => {
  it('accepts a fresh request signed with the cluster secret', () => {
    const { body, mac } = signPull('s3cret', { region: 'eu-west-1', applied: { 'us-east-1': 3 } }, 1000);
    const verdict = createPullVerifier(options).verify(body, mac, 1500);
    assert.ok(verdict.ok);
    assert.deepEqual(verdict.pull.applied, { 'us-east-1': 3 });
  });

  it('refuses another secret, a tampered body, an unknown peer, a replay and a stale request', () => {
    const verifier = createPullVerifier(options);
    const other = signPull('guess', { region: 'eu-west-1', applied: {} }, 1000);
    assert.match(reasonOf(verifier.verify(other.body, other.mac, 1000)), /bad MAC/);
    const good = signPull('s3cret', { region: 'eu-west-1', applied: {} }, 1000);
    assert.match(reasonOf(verifier.verify(good.body.replace('{}', '{"x":1}'), good.mac, 1000)), /bad MAC/);
    assert.match(reasonOf(verifier.verify(good.body, undefined, 1000)), /missing or malformed/);
    const stranger = signPull('s3cret', { region: 'sa-east-1', applied: {} }, 1000);
    assert.match(reasonOf(verifier.verify(stranger.body, stranger.mac, 1000)), /not a configured peer/);
    const self = signPull('s3cret', { region: 'us-east-1', applied: {} }, 1000);
    assert.match(reasonOf(verifier.verify(self.body, self.mac, 1000)), /not a configured peer/);
    assert.ok(verifier.verify(good.body, good.mac, 1000).ok);
    assert.match(reasonOf(verifier.verify(good.body, good.mac, 2000)), /already used: replayed/);
    assert.match(reasonOf(verifier.verify(good.body, good.mac, 100_000)), /outside the 60000 ms window/);
  });
});
