// Two stock y-websocket clients attached to different regions converge, in miniature: two servers, each
// with its own memory port, whose ports a test relay links the way replication will (every update merged
// into one is merged into the other, late, out of order, or after a partition heals).

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { createMemoryYjsPort, type MemoryYjsPort } from './memory-yjs-port.ts';
import { sameDocument, toText } from './yjs-state.ts';
import {
  connectClient,
  startServer,
  waitConverged,
  waitSynced,
  type TestClient,
} from './yjs-test-support.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const RELAY = Symbol('relay');

interface Relay {
  /** Holds updates (a partition) until heal(). */
  partition(): void;
  heal(): void;
}

/**
 * Links two ports for one document both ways, each update delivered after `delayMs()` (so they can
 * overtake each other). Updates the relay itself applied are not sent back.
 */
function link(a: MemoryYjsPort, b: MemoryYjsPort, key: string, delayMs: () => number): Relay {
  let held: Array<() => void> | undefined;
  const forward = (to: MemoryYjsPort) => (update: Uint8Array, origin: unknown) => {
    if (origin === RELAY) return;
    const deliver = () => setTimeout(() => void to.apply('notes', key, update, RELAY), delayMs());
    if (held) held.push(deliver);
    else deliver();
  };
  const offA = a.subscribe('notes', key, forward(b));
  const offB = b.subscribe('notes', key, forward(a));
  cleanups.push(() => {
    offA();
    offB();
  });
  return {
    partition() {
      held ??= [];
    },
    heal() {
      const pending = held ?? [];
      held = undefined;
      for (const deliver of pending) deliver();
    },
  };
}

async function region(): Promise<{ port: MemoryYjsPort; url: string }> {
  const port = createMemoryYjsPort();
  const server = await startServer(port);
  cleanups.push(() => server.close());
  return { port, url: server.url };
}

function client(url: string, key: string): TestClient {
  const c = connectClient(url, key);
  cleanups.push(() => c.destroy());
  return c;
}

function seeded(seed: number): (n: number) => number {
  let s = seed;
  return (n) => (s = (s * 48271) % 2147483647) % n;
}

function storedText(port: MemoryYjsPort, key: string): () => string {
  return () => {
    const state = port.stateOf('notes', key);
    return state === undefined ? '' : toText(state);
  };
}

describe('two regions linked by a relay', () => {
  it('a client on region A and a client on region B converge', async () => {
    const eu = await region();
    const us = await region();
    link(eu.port, us.port, 'paper', () => 5);
    const a = client(eu.url, 'paper');
    const b = client(us.url, 'paper');
    await waitSynced(a, b);
    a.text.insert(0, 'written in Europe. ');
    b.text.insert(0, 'written in America. ');
    const text = await waitConverged([a, b], [storedText(eu.port, 'paper'), storedText(us.port, 'paper')]);
    assert.equal(text.length, 'written in Europe. written in America. '.length);
    assert.ok(sameDocument(eu.port.stateOf('notes', 'paper')!, us.port.stateOf('notes', 'paper')!));
  });

  it('converges under random concurrent edits with updates delivered out of order', async () => {
    const eu = await region();
    const us = await region();
    const random = seeded(2024);
    link(eu.port, us.port, 'busy', () => random(30));
    const clients = [
      client(eu.url, 'busy'),
      client(eu.url, 'busy'),
      client(us.url, 'busy'),
      client(us.url, 'busy'),
    ];
    await waitSynced(...clients);
    for (let i = 0; i < 400; i++) {
      const c = clients[random(clients.length)]!;
      if (c.text.length > 0 && random(4) === 0) {
        const at = random(c.text.length);
        c.text.delete(at, Math.min(1 + random(4), c.text.length - at));
      } else {
        c.text.insert(random(c.text.length + 1), 'abcdefghij'.slice(0, 1 + random(3)));
      }
      if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, random(10)));
    }
    const text = await waitConverged(
      clients,
      [storedText(eu.port, 'busy'), storedText(us.port, 'busy')],
      10_000,
    );
    assert.ok(text.length > 0);
  });

  it('converges after a partition heals, and a late client in the other region sees everything', async () => {
    const eu = await region();
    const us = await region();
    const relay = link(eu.port, us.port, 'split', () => 1);
    const a = client(eu.url, 'split');
    const b = client(us.url, 'split');
    await waitSynced(a, b);
    a.text.insert(0, 'base. ');
    await waitConverged([a, b]);

    relay.partition();
    a.text.insert(a.text.length, 'eu during the partition. ');
    b.text.insert(0, 'us during the partition. ');
    await waitConverged([a], [storedText(eu.port, 'split')]);
    await waitConverged([b], [storedText(us.port, 'split')]);
    assert.notEqual(a.text.toJSON(), b.text.toJSON());

    relay.heal();
    const text = await waitConverged([a, b], [storedText(eu.port, 'split'), storedText(us.port, 'split')]);
    assert.ok(text.includes('eu during the partition. ') && text.includes('us during the partition. '), text);
    const late = client(us.url, 'split');
    assert.equal(await waitConverged([a, late]), text);
  });
});
