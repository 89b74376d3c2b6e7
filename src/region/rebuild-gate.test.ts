import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRebuildGate } from './rebuild-gate.ts';

const peers = ['eu-west-1', 'ap-northeast-1'];

describe('rebuild gate', () => {
  it('is open when the store was not empty, or there are no peers', () => {
    assert.equal(
      createRebuildGate({ region: 'us-east-1', peers, rebuilding: false, graceMs: 5000 }).open,
      true,
    );
    assert.equal(
      createRebuildGate({ region: 'us-east-1', peers: [], rebuilding: true, graceMs: 5000 }).open,
      true,
    );
  });

  it('stays shut until every peer answered and our own changes are back', () => {
    const gate = createRebuildGate({ region: 'us-east-1', peers, rebuilding: true, graceMs: 5000 });
    assert.throws(() => gate.check(), /rebuilding .*waiting for a peer/);
    gate.onConnected('eu-west-1', { 'us-east-1': 3 }, 0);
    gate.onApplied('us-east-1', 1, 10);
    gate.onApplied('us-east-1', 2, 11);
    gate.onApplied('us-east-1', 3, 12);
    assert.equal(gate.open, false, 'one of two peers heard, grace not over');
    gate.onConnected('ap-northeast-1', { 'us-east-1': 4 }, 20);
    assert.equal(gate.open, false, 'the second peer knows a fourth change');
    assert.match(gate.describe(), /3 of 4/);
    gate.onApplied('eu-west-1', 7, 21);
    gate.onApplied('us-east-1', 4, 22);
    assert.equal(gate.open, true);
    gate.check();
  });

  it('opens after the grace period when a peer stays silent', () => {
    const gate = createRebuildGate({ region: 'us-east-1', peers, rebuilding: true, graceMs: 5000 });
    gate.onConnected('eu-west-1', {}, 1000);
    assert.equal(gate.open, false);
    gate.tick(5999);
    assert.equal(gate.open, false);
    gate.tick(6000);
    assert.equal(gate.open, true);
  });
});
