// Test helpers for the WAN emulator: loopback TCP servers, a buffered socket reader, a seeded random.
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';

export interface TestServer {
  readonly port: number;
  close(): Promise<void>;
}

/** A server on 127.0.0.1 that hands each connection to `onSocket` and destroys them all on close(). */
export async function startTcpServer(onSocket: (socket: Socket) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Echoes every byte back and mirrors a half-close. */
export const echo = (socket: Socket): void => {
  socket.pipe(socket);
};

export async function dial(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await once(socket, 'connect');
  return socket;
}

/** Dials and resolves with the error that ends the connection, whether it comes before or after connect. */
export async function dialFailure(port: number): Promise<NodeJS.ErrnoException> {
  const socket = connect({ host: '127.0.0.1', port });
  const [err] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
  return err;
}

/** Buffers everything a socket receives and hands it out in exact sizes. */
export interface Reader {
  read(bytes: number): Promise<Buffer>;
  /** Resolves with every byte received once the peer has ended or the socket has closed. */
  readToEnd(): Promise<Buffer>;
  /** Bytes received but not yet read. */
  buffered(): number;
}

export function createReader(socket: Socket): Reader {
  let buffer = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    notify();
  });
  const finish = (): void => {
    ended = true;
    notify();
  };
  socket.once('end', finish);
  socket.once('close', finish);
  async function until(done: () => boolean): Promise<void> {
    while (!done()) {
      if (ended) throw new Error(`socket ended with ${buffer.length} bytes unread`);
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  return {
    async read(bytes) {
      await until(() => buffer.length >= bytes);
      const out = buffer.subarray(0, bytes);
      buffer = buffer.subarray(bytes);
      return out;
    },
    async readToEnd() {
      while (!ended) await new Promise<void>((resolve) => (wake = resolve));
      const out = buffer;
      buffer = Buffer.alloc(0);
      return out;
    },
    buffered: () => buffer.length,
  };
}

/** Resolves after `ms`, failing if the socket received anything meanwhile: asserts a stall. */
export async function expectSilence(socket: Socket, ms: number): Promise<void> {
  let received = 0;
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
  };
  socket.on('data', onData);
  await delay(ms);
  socket.off('data', onData);
  if (received > 0) throw new Error(`expected no data for ${ms} ms, got ${received} bytes`);
}

/** Writes and waits until the bytes are handed to the kernel. */
export async function write(socket: Socket, data: Uint8Array | string): Promise<void> {
  await new Promise<void>((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
}

/** mulberry32: a small seeded generator of numbers in [0, 1), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
