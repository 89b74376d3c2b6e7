// What the deployment benches share: their flags, and the `meridian` CLI they drive the local
// deployment with.

import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'meridian.js');

/** `--name value` from the command line, or `fallback`. */
export function flag(name: string, fallback: string): string {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
}

/** A flag that must be a positive number; the usage line comes with the error. */
export function positiveFlag(name: string, fallback: string, usage: string): number {
  const n = Number(flag(name, fallback));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number\n${usage}`);
  return n;
}

/** Runs the meridian CLI in `cwd` and returns what it printed. */
export function meridian(cwd: string, ...cli: string[]): string {
  return execFileSync(process.execPath, [BIN, ...cli], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const execFileAsync = promisify(execFile);

/** The same without blocking this process: for CLI calls that must run side by side. */
export async function meridianAsync(cwd: string, ...cli: string[]): Promise<void> {
  await execFileAsync(process.execPath, [BIN, ...cli], { cwd, encoding: 'utf8' });
}
