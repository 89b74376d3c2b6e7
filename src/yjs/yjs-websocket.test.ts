import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { MeridianError } from '../core/errors.ts';
import { createMemoryYjsPort } from './memory-yjs-port.ts';
import { decodeMessage, encodeAwareness, encodeSyncStep1, encodeUpdate } from './yjs-messages.ts';
import type { YjsDocumentPort } from './yjs-port.ts';
import { applyUpdate, emptyState, stateVector, toText } from './yjs-state.ts';
import {
  connectClient,
  startServer,
  waitConverged,
  waitFor,
  waitSynced,
  type TestClient,
  type TestServer,
} from './yjs-test-support.ts';
import { YjsCloseCode, type YjsWebSocketOptions } from './yjs-websocket.ts';

// Clients and servers opened by a test are closed after it (each stock client adds a process listener).
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(
  port: YjsDocumentPort = createMemoryYjsPort(),
  options: Omit<YjsWebSocketOptions, 'port'> = {},
): Promise<TestServer> {
  const s = await startServer(port, options);
  cleanups.push(() => s.close());
  return s;
}

function client(url: string, key: string): TestClient {
  const c = connectClient(url, key);
  cleanups.push(() => c.destroy());
  return c;
}

/** A raw `ws` socket on a document path, open; what it receives goes to `messages`. */
async function raw(
  url: string,
  path = '/v1/collections/notes/yjs/raw',
  messages: Uint8Array[] = [],
): Promise<WebSocket> {
  const ws = new WebSocket(url + path);
  // Listening before 'open': the server's first message may come in the same read as the handshake.
  ws.on('message', (data: Buffer) => messages.push(new Uint8Array(data)));
  cleanups.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

/** The HTTP answer to an upgrade the server refuses. */
function refused(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => reject(new Error(`${url} was accepted`)));
    ws.on('error', () => {});
  });
}

function update(edit: (text: Y.Text) => void): Uint8Array {
  const doc = new Y.Doc();
  edit(doc.getText('text'));
  return Y.encodeStateAsUpdate(doc);
}

describe('y-websocket server with stock clients', () => {
  it('two clients of one document converge on concurrent inserts', async () => {
    const port = createMemoryYjsPort();
    const s = await server(port);
    const a = client(s.url, 'doc-a');
    const b = client(s.url, 'doc-a');
    await waitSynced(a, b);
    a.text.insert(0, 'hello ');
    b.text.insert(0, 'world');
    const text = await waitConverged([a, b], [() => toText(port.stateOf('notes', 'doc-a') ?? emptyState())]);
    assert.equal(text.length, 11);
    assert.ok(text === 'hello world' || text === 'worldhello ', text);

    // A burst of interleaved random edits from three clients, one of them joining midway.
    const c = client(s.url, 'doc-a');
    let seed = 7;
    const random = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    for (let i = 0; i < 300; i++) {
      const who = [a, b, c][random(3)]!;
      if (who.text.length > 0 && random(3) === 0) {
        const at = random(who.text.length);
        who.text.delete(at, Math.min(1 + random(3), who.text.length - at));
      } else {
        who.text.insert(random(who.text.length + 1), String.fromCharCode(97 + random(26)));
      }
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitConverged([a, b, c], [() => toText(port.stateOf('notes', 'doc-a') ?? emptyState())]);
    assert.equal(s.yjs.stats().connections, 3);
    assert.equal(s.yjs.stats().documents, 1);
  });

  it('keeps documents apart and a late client gets the stored state', async () => {
    const s = await server();
    const a = client(s.url, 'one');
    const b = client(s.url, 'two/with slash');
    await waitSynced(a, b);
    a.text.insert(0, 'first');
    b.text.insert(0, 'second');
    const late = client(s.url, 'two/with slash');
    await waitConverged([b, late]);
    assert.equal(late.text.toJSON(), 'second');
    assert.equal(a.text.toJSON(), 'first');
  });

  it('a client that reconnects after a disconnect catches up both ways', async () => {
    const port = createMemoryYjsPort();
    const s = await server(port);
    const a = client(s.url, 'doc-r');
    const b = client(s.url, 'doc-r');
    await waitSynced(a, b);
    a.text.insert(0, 'shared. ');
    await waitConverged([a, b]);

    a.provider.disconnect();
    await waitFor('a to be disconnected', () => !a.provider.wsconnected);
    b.text.insert(b.text.length, 'while a was away. ');
    a.text.insert(0, 'offline edit. ');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(!b.text.toJSON().includes('offline'));

    a.provider.connect();
    const text = await waitConverged([a, b], [() => toText(port.stateOf('notes', 'doc-r')!)]);
    assert.ok(text.includes('offline edit. ') && text.includes('while a was away. '), text);
  });

  it('speaks the protocol: step 1 on connect, step 2 for a step 1, updates to the other clients', async () => {
    const port = createMemoryYjsPort();
    await port.apply(
      'notes',
      'raw',
      update((t) => t.insert(0, 'stored')),
    );
    const s = await server(port);
    const messages: Uint8Array[] = [];
    const ws = await raw(s.url, undefined, messages);
    await waitFor('sync step 1', () => messages.length === 1);
    assert.deepEqual(decodeMessage(messages[0]!), {
      type: 'sync-step-1',
      stateVector: stateVector(port.stateOf('notes', 'raw')!),
    });
    ws.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())));
    await waitFor('sync step 2', () => messages.length === 2);
    const step2 = decodeMessage(messages[1]!);
    assert.equal(step2.type, 'sync-step-2');
    assert.equal(toText((step2 as { update: Uint8Array }).update), 'stored');

    const other = client(s.url, 'raw');
    await waitSynced(other);
    const edit = update((t) => t.insert(0, 'more '));
    ws.send(encodeUpdate(edit));
    await waitFor('the other client to get the update', () => other.text.toJSON().includes('more '));
    other.text.insert(0, '!');
    const received = () => messages.map(decodeMessage).flatMap((m) => ('update' in m ? [m] : []));
    // What the raw client knows: what it received plus its own edit.
    const replica = () => received().reduce((state, m) => applyUpdate(state, m.update), edit);
    await waitFor('the raw client to get the update', () => toText(replica()) === other.text.toJSON());
    assert.match(toText(replica()), /^!/);
    // Its own update was not echoed back to it: it only got step 2 and the other client's edit.
    assert.deepEqual(
      received().map((m) => m.type),
      ['sync-step-2', 'update'],
    );
  });

  it('relays awareness between the clients of a document and drops a client that leaves', async () => {
    const s = await server();
    const a = client(s.url, 'doc-aw');
    const b = client(s.url, 'doc-aw');
    await waitSynced(a, b);
    a.provider.awareness.setLocalStateField('user', { name: 'Ada' });
    await waitFor('b to see Ada', () =>
      [...b.provider.awareness.getStates().values()].some(
        (st) => (st as { user?: { name?: string } }).user?.name === 'Ada',
      ),
    );
    const late = client(s.url, 'doc-aw');
    await waitFor('a late client to see Ada', () => late.provider.awareness.getStates().has(a.doc.clientID));
    a.destroy();
    await waitFor('b to drop Ada', () => !b.provider.awareness.getStates().has(a.doc.clientID));
  });

  it('closes a socket that sends garbage, and goes on serving the others', async () => {
    const logged: string[] = [];
    const logger = {
      warn: (_o: object, msg: string) => logged.push(msg),
      error: (_o: object, msg: string) => logged.push(msg),
    };
    const port = createMemoryYjsPort();
    const s = await server(port, { logger, maxMessageBytes: 64 * 1024 });
    const a = client(s.url, 'raw');
    const b = client(s.url, 'raw');
    await waitSynced(a, b);
    a.text.insert(0, 'before. ');
    await waitConverged([a, b]);
    const before = port.stateOf('notes', 'raw');

    const cases: Array<[string, (ws: WebSocket) => void, number, RegExp]> = [
      [
        'a garbage update',
        (ws) => ws.send(encodeUpdate(Uint8Array.of(1, 2, 3, 4, 5))),
        4400,
        /malformed Yjs update/,
      ],
      [
        'random bytes',
        (ws) => ws.send(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)),
        4400,
        /malformed message/,
      ],
      [
        'a bad state vector',
        (ws) => ws.send(encodeSyncStep1(Uint8Array.of(9))),
        4400,
        /malformed Yjs state vector/,
      ],
      [
        'bad awareness JSON',
        (ws) => ws.send(encodeAwareness(Uint8Array.of(1, 5, 1, 2, 123, 120))),
        4400,
        /malformed awareness update/,
      ],
      ['a text frame', (ws) => ws.send('hello'), 4400, /text frames/],
      ['an unknown message type', (ws) => ws.send(Uint8Array.of(42)), 4400, /unsupported message type 42/],
      ['a message over maxMessageBytes', (ws) => ws.send(new Uint8Array(65 * 1024)), 1009, /./],
    ];
    for (const [what, send, code, reason] of cases) {
      const ws = await raw(s.url);
      const done = closed(ws);
      send(ws);
      const result = await done;
      assert.equal(result.code, code, what);
      if (code !== 1009) assert.match(result.reason, reason, what);
    }
    assert.deepEqual(port.stateOf('notes', 'raw'), before);

    b.text.insert(b.text.length, 'after.');
    assert.equal(await waitConverged([a, b]), 'before. after.');
    await waitFor('the garbage sockets to be gone', () => s.yjs.stats().connections === 2);
    assert.ok(logged.some((msg) => msg.includes('bad message')));
  });

  it('answers 404 or 400 to upgrades it cannot serve, and plain HTTP still works', async () => {
    const s = await server();
    const notFound = await refused(`${s.url}/v1/other`);
    assert.equal(notFound.status, 404);
    assert.match(notFound.body, /"code":"not_found".*\/v1\/collections\/\{collection\}\/yjs\/\{key\}/);
    const badKey = await refused(`${s.url}/v1/collections/notes/yjs/%E0%A4%A`);
    assert.equal(badKey.status, 400);
    assert.match(badKey.body, /invalid_key/);
    const badName = await refused(`${s.url}/v1/collections/no%20tes/yjs/a`);
    assert.equal(badName.status, 400);
    const health = await s.app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200);
    const http = await fetch(s.url.replace('ws:', 'http:') + '/health');
    assert.deepEqual(await http.json(), { ok: true });
  });

  it('lets admit refuse a connection with its status', async () => {
    const s = await server(createMemoryYjsPort(), {
      admit: async (doc: { collection: string }) => {
        if (doc.collection !== 'notes') {
          throw new MeridianError('unknown_collection', `unknown collection '${doc.collection}'`);
        }
      },
    });
    const r = await refused(`${s.url}/v1/collections/carts/yjs/a`);
    assert.equal(r.status, 404);
    assert.match(r.body, /unknown_collection/);
    const ws = await raw(s.url, '/v1/collections/notes/yjs/a');
    ws.close();
  });

  it('closes with 1011 when the port fails or holds a corrupt state, without crashing', async () => {
    const memory = createMemoryYjsPort();
    const failing: YjsDocumentPort = {
      load: async (c, k) => (k === 'corrupt' ? Uint8Array.of(0xff, 0xff) : memory.load(c, k)),
      subscribe: (c, k, f) => memory.subscribe(c, k, f),
      apply: async () => {
        throw new Error('store down');
      },
    };
    const errors: unknown[] = [];
    const s = await server(failing, {
      logger: {
        warn() {},
        error: (o: object, msg: string) => errors.push([msg, (o as { err: Error }).err.message]),
      },
    });
    const internal = { code: YjsCloseCode.InternalError, reason: 'internal error: see the region log' };

    const ws = await raw(s.url);
    const done = closed(ws);
    ws.send(encodeUpdate(update((t) => t.insert(0, 'x'))));
    assert.deepEqual(await done, internal);

    const corrupt = new WebSocket(`${s.url}/v1/collections/notes/yjs/corrupt`);
    assert.deepEqual(await closed(corrupt), internal);
    assert.deepEqual(errors, [
      ['yjs: serving the document failed, closing socket', 'store down'],
      ['yjs: serving the document failed, closing socket', 'yjs: state vector of notes/corrupt failed'],
    ]);
    const again = await raw(s.url);
    again.close();
  });

  it('cleans up rooms and subscriptions, and close() closes every client with 1001', async () => {
    const port = createMemoryYjsPort();
    const s = await startServer(port);
    const a = client(s.url, 'doc-c');
    const b = client(s.url, 'doc-d');
    await waitSynced(a, b);
    assert.equal(port.subscriptionCount(), 2);
    b.destroy();
    await waitFor(
      'the room of doc-d to close',
      () => s.yjs.stats().documents === 1 && port.subscriptionCount() === 1,
    );

    const ws = await raw(s.url, '/v1/collections/notes/yjs/doc-c');
    const done = closed(ws);
    await s.close();
    assert.equal((await done).code, YjsCloseCode.GoingAway);
    assert.deepEqual(s.yjs.stats(), { connections: 0, documents: 0 });
    assert.equal(port.subscriptionCount(), 0);
    await s.close(); // idempotent
  });
});
