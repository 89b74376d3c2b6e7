import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatVersion } from '../core/version.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import { createLogNotifier, notifyingStore } from './log-notifier.ts';

const v = (wall: number, region = 'r1') => formatVersion({ wall, counter: 0 }, region);

test('subscribers hear every append until they unsubscribe', () => {
  const notifier = createLogNotifier();
  const heard: string[] = [];
  const listener = () => heard.push('a');
  const stopA = notifier.subscribe(listener);
  notifier.subscribe(listener);
  notifier.notify();
  stopA();
  notifier.notify();
  assert.deepEqual(heard, ['a', 'a', 'a']);
  assert.equal(notifier.appends, 2);
});

test('the notifying store notifies for every logged change and nothing else', async () => {
  const notifier = createLogNotifier();
  const store = notifyingStore(createMemoryStore(), notifier);
  const write = (version: string, precondition: { kind: 'none' } | { kind: 'absent' }) =>
    store.writeLocal({ collection: 'c', key: 'k', value: {}, version, origin: 'r1' }, precondition);
  const remote = (seq: number, wall: number) =>
    store.applyRemote({
      collection: 'c',
      key: 'k',
      value: null,
      version: v(wall, 'r2'),
      origin: 'r2',
      originSeq: seq,
    });
  assert.ok((await write(v(5), { kind: 'none' })).ok);
  assert.equal(notifier.appends, 1);
  assert.ok(!(await write(v(6), { kind: 'absent' })).ok);
  assert.equal(notifier.appends, 1);
  assert.equal(await remote(1, 9), 'applied');
  assert.equal(await remote(2, 1), 'superseded');
  assert.equal(notifier.appends, 3);
  assert.equal(await remote(2, 1), 'duplicate');
  assert.equal(await remote(9, 1), 'gap');
  assert.equal(notifier.appends, 3);
  assert.equal(await store.positionAfter({ r1: 1 }), 1);
  assert.equal(store.kind, 'memory');
});
