// End-to-end harness: runs the real `meridian` CLI as a child process in a temporary directory.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { isPortFree } from '../../src/control/processes.ts';

const BIN = fileURLToPath(new URL('../../bin/meridian.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], cwd: string, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `meridian-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A base port whose whole range (base .. base+199) is free, so parallel test files do not collide. */
export async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below Linux's ephemeral range (32768 and up): there the kernel hands the same ports to outgoing
    // connections, and a region could find its port taken between this check and its listen.
    const base = 20_000 + Math.floor(Math.random() * 60) * 200;
    // Regions, edges and DNS at base..base+9, WAN links at base+100..105 (see src/control/layout.ts).
    const probes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 101, 102, 103, 104, 105];
    const checks = await Promise.all(probes.map((p) => isPortFree(base + p)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error('no free port range found');
}

export async function httpJson(
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown; headers: Record<string, string | string[] | undefined> }> {
  const res = await request(url, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    headersTimeout: 5000,
    bodyTimeout: 5000,
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    json: text ? (JSON.parse(text) as unknown) : undefined,
    headers: res.headers,
  };
}

/** Polls `check` every 100 ms until it returns a value, or fails after `timeoutMs` with `what`. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: Error | undefined;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err instanceof Error ? err : new Error(String(err));
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`,
      );
    await sleep(100);
  }
}
