// How the CLI speaks: one line per error with how to fix it, a non-zero exit, JSON for scripts.

import { MeridianError } from '../core/errors.ts';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** The one translation from errors to exit codes: 1 for what the user can fix, 2 for internal failures. */
export function exitWithError(err: unknown): never {
  if (err instanceof MeridianError) {
    process.stderr.write(`meridian: ${err.message}\n`);
    process.exit(err.status >= 500 && err.code === 'internal' ? 2 : 1);
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`meridian: internal error: ${message}\n`);
  process.exit(2);
}
