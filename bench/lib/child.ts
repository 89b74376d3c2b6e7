// Server child processes of a benchmark: spawn, wait until ready, stop gracefully, and never leak one.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

export interface ServerChild {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  /** Undefined while running; once it has exited, why, with the tail of its output. */
  exitReport(): string | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly name: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly url: string;
  /** Polled until it answers 200. */
  readonly readyPath: string;
  readonly timeoutMs?: number;
}

const live = new Set<ChildProcess>();
// Last resort: whatever still runs when the bench exits (normally, by error or signal) is killed.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A TCP port free on loopback right now (the child binds it a moment later). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = address && typeof address === 'object' ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startServer(options: StartOptions): Promise<ServerChild> {
  const child = spawn(process.execPath, [...options.args], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
  });
  let stopping: Promise<void> | undefined;
  const handle: ServerChild = {
    name: options.name,
    pid: child.pid ?? -1,
    url: options.url,
    exitReport() {
      if (child.exitCode === null && child.signalCode === null) return undefined;
      const how = child.signalCode ?? `code ${String(child.exitCode)}`;
      return `${options.name} exited (${how})${output.trim() ? `; its output:\n${output.trim()}` : ''}`;
    },
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
  try {
    await waitReady(options, exited);
  } catch (err) {
    await handle.stop(1000);
    const tail = output.trim() ? `\n--- ${options.name} output ---\n${output.trim()}` : '';
    throw new Error(`${options.name} did not start: ${(err as Error).message}${tail}`, { cause: err });
  }
  return handle;
}

async function waitReady(options: StartOptions, exited: Promise<number | null>): Promise<void> {
  const deadline = performance.now() + (options.timeoutMs ?? 30_000);
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (performance.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`it exited with code ${String(exitCode)}`);
    try {
      const res = await request(options.url + options.readyPath, { headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`no 200 from ${options.url}${options.readyPath} within ${options.timeoutMs ?? 30_000} ms`);
}
