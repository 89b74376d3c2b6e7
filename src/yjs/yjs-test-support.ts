// Test support: a real fastify server with the y-websocket endpoint on 127.0.0.1, stock clients, waiting.

import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { createMemoryYjsPort, type MemoryYjsPort } from './memory-yjs-port.ts';
import type { YjsDocumentPort } from './yjs-port.ts';
import { attachYjsWebSocket, type YjsWebSocketOptions, type YjsWebSocketServer } from './yjs-websocket.ts';

export interface TestServer {
  /** ws://127.0.0.1:<port> */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly yjs: YjsWebSocketServer;
  close(): Promise<void>;
}

export async function startServer(
  port: YjsDocumentPort = createMemoryYjsPort(),
  options: Omit<YjsWebSocketOptions, 'port'> = {},
): Promise<TestServer> {
  const app = Fastify();
  app.get('/health', async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const yjs = attachYjsWebSocket(app.server, { ...options, port });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `ws://127.0.0.1:${address.port}`,
    app,
    yjs,
    async close() {
      await yjs.close();
      await app.close();
    },
  };
}

export interface TestClient {
  readonly doc: Y.Doc;
  readonly text: Y.Text;
  readonly provider: WebsocketProvider;
  destroy(): void;
}

/** A stock y-websocket client (WebsocketProvider) editing notes/<key>, with `ws` as its WebSocket. */
export function connectClient(serverUrl: string, key: string, collection = 'notes'): TestClient {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(
    `${serverUrl}/v1/collections/${collection}/yjs`,
    encodeURIComponent(key),
    doc,
    {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      // Clients in one process would otherwise sync over a BroadcastChannel, not through the server.
      disableBc: true,
      maxBackoffTime: 200,
    },
  );
  return {
    doc,
    text: doc.getText('text'),
    provider,
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

export async function waitFor(
  what: string | (() => string),
  predicate: () => boolean,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function waitSynced(...clients: TestClient[]): Promise<void> {
  await waitFor('clients to sync', () => clients.every((c) => c.provider.synced));
}

/** Every client and every state holds the same text; resolves with it. */
export async function waitConverged(
  clients: readonly TestClient[],
  states: ReadonlyArray<() => string> = [],
  timeoutMs = 5000,
): Promise<string> {
  const texts = () => [...clients.map((c) => c.text.toJSON()), ...states.map((s) => s())];
  await waitFor(
    () => `convergence (now ${JSON.stringify(texts()).slice(0, 300)})`,
    () => new Set(texts()).size === 1,
    timeoutMs,
  );
  return texts()[0]!;
}

export type { MemoryYjsPort };
