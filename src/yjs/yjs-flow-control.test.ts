// Flow control and liveness of the y-websocket server: one message at a time per socket, slow readers
// closed, silent clients dropped by the heartbeat.

import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { createMemoryYjsPort } from './memory-yjs-port.ts';
import { encodeUpdate } from './yjs-messages.ts';
import type { YjsDocumentPort } from './yjs-port.ts';
import { toText } from './yjs-state.ts';
import { startServer, waitFor, type TestServer } from './yjs-test-support.ts';
import { YjsCloseCode, type YjsWebSocketOptions } from './yjs-websocket.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(
  port: YjsDocumentPort,
  options: Omit<YjsWebSocketOptions, 'port'>,
): Promise<TestServer> {
  const s = await startServer(port, options);
  cleanups.push(() => s.close());
  return s;
}

async function open(url: string, options: { autoPong?: boolean } = {}): Promise<WebSocket> {
  const ws = new WebSocket(`${url}/v1/collections/notes/yjs/flow`, options);
  cleanups.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('y-websocket flow control', () => {
  it('handles one message at a time, in order, while the port is slow', async () => {
    const memory = createMemoryYjsPort();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const gated: YjsDocumentPort = {
      load: (c, k) => memory.load(c, k),
      subscribe: (c, k, f) => memory.subscribe(c, k, f),
      async apply(c, k, update, origin) {
        started++;
        await gate;
        return memory.apply(c, k, update, origin);
      },
    };
    const s = await server(gated, { maxQueuedMessages: 4 });
    const ws = await open(s.url);

    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    for (let i = 0; i < 40; i++) doc.getText('text').insert(i, String(i % 10));
    for (const update of updates) ws.send(encodeUpdate(update));

    await waitFor('the first apply', () => started === 1);
    await sleep(50);
    assert.equal(started, 1, 'the next message waits for the current one');
    release();
    const expected = doc.getText('text').toJSON();
    await waitFor('every update to be applied', () => {
      const state = memory.stateOf('notes', 'flow');
      return state !== undefined && toText(state) === expected;
    });
    assert.equal(started, 40);
  });

  it('closes a client that does not read with 1013', async () => {
    const memory = createMemoryYjsPort();
    const listeners = new Set<(update: Uint8Array, origin: unknown) => void>();
    const port: YjsDocumentPort = {
      load: (c, k) => memory.load(c, k),
      apply: (c, k, u, o) => memory.apply(c, k, u, o),
      subscribe(c, k, f) {
        listeners.add(f);
        const off = memory.subscribe(c, k, f);
        return () => {
          listeners.delete(f);
          off();
        };
      },
    };
    const s = await server(port, { maxBufferedBytes: 1024 * 1024 });

    // A WebSocket handshake by hand on a socket that then never reads.
    const { port: tcpPort } = new URL(s.url);
    const socket = tcpConnect(Number(tcpPort), '127.0.0.1');
    cleanups.push(() => socket.destroy());
    socket.write(
      'GET /v1/collections/notes/yjs/flow HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n' +
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    socket.pause();
    await waitFor('the connection', () => s.yjs.stats().connections === 1 && listeners.size === 1);

    // Up to 64 MB of updates "from replication" (the server forwards them as they are) for a client
    // that reads none of them: the server gives up once 1 MiB waits in its buffer.
    const chunk = new Uint8Array(1024 * 1024);
    for (let i = 0; i < 64 && s.yjs.stats().connections > 0; i++) {
      for (const f of listeners) f(chunk, 'replication');
    }
    await waitFor('the slow client to be dropped', () => s.yjs.stats().connections === 0);
    assert.equal(listeners.size, 0, 'its room closed and unsubscribed');

    // Reading at last, the client finds a close frame with 1013 after what was queued for it.
    let tail = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => (tail = Buffer.concat([tail, data]).subarray(-512)));
    socket.resume();
    const closeFrame = Buffer.from([0x88]);
    await waitFor('the close frame', () => {
      const at = tail.lastIndexOf(closeFrame);
      return at >= 0 && at + 4 <= tail.length && tail.readUInt16BE(at + 2) === YjsCloseCode.TryAgainLater;
    });
  });

  it('drops a client that stops answering pings, and keeps one that answers', async () => {
    const s = await server(createMemoryYjsPort(), { pingInterval: 40 });
    const silent = await open(s.url, { autoPong: false });
    const lively = await open(s.url);
    const silentClosed = new Promise<number>((resolve) => silent.once('close', (code) => resolve(code)));
    assert.equal(await silentClosed, 1006); // terminated, no close frame
    await sleep(150);
    assert.equal(lively.readyState, WebSocket.OPEN);
    assert.equal(s.yjs.stats().connections, 1);
    lively.close();
  });
});
