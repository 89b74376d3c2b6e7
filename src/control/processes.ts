// OS processes of the local deployment: start one detached with its output in a log file, check it is
// alive, stop it (SIGTERM, then SIGKILL after a grace period), wait for it to answer HTTP.

import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

/** The `meridian` entry point, so children run exactly this checkout's code. */
export const MERIDIAN_BIN = fileURLToPath(new URL('../../bin/meridian.js', import.meta.url));

/**
 * The command that runs `meridian ARGS` as a child. MERIDIAN_NODE_ARGS adds flags to every child's node
 * (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile each region), which NODE_OPTIONS does not allow.
 */
export function meridianCommand(args: readonly string[]): string[] {
  const nodeArgs = process.env['MERIDIAN_NODE_ARGS']?.split(/\s+/).filter(Boolean) ?? [];
  return [process.execPath, ...nodeArgs, MERIDIAN_BIN, ...args];
}

/** Starts `command` in its own process group (Ctrl-C on the terminal reaches only the supervisor). */
export function startProcess(command: readonly string[], logFile: string): number {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command[0]!, command.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${command.join(' ')}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** True while the process exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number | null): pid is number {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export async function stopProcess(pid: number | null, graceMs = 5000): Promise<void> {
  if (!isAlive(pid)) return;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    signal(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(20);
  }
}

export function killProcess(pid: number | null): void {
  if (isAlive(pid)) signal(pid, 'SIGKILL');
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone: nothing to stop.
  }
}

/** True when nothing listens on TCP `host:port` right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => done(true)));
  });
}

/** Resolves when GET `url` answers 200; rejects after `timeoutMs` or when `pid` dies first. */
export async function waitUntilOk(
  url: string,
  options: { timeoutMs: number; pid?: number; what: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    try {
      const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch {
      // Not listening yet.
    }
    if (options.pid !== undefined && !isAlive(options.pid))
      throw new Error(`${options.what} exited during start-up`);
    if (Date.now() > deadline) throw new Error(`${options.what} was not ready after ${options.timeoutMs} ms`);
    await sleep(100);
  }
}
