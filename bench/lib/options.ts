// Command-line flags of `npm run bench:api`, resolved once into a frozen, complete options object.

import { parseArgs } from 'node:util';
import { parseDuration } from '../../src/core/duration.ts';

export interface ApiBenchOptions {
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Concurrent in-flight requests, one per connection (pipelining 1). */
  readonly connections: number;
  /** Distinct document keys written, then read. */
  readonly keys: number;
  readonly store: 'sqlite' | 'memory';
  /** When set, the region node runs with `node --cpu-prof` and writes its profile here on exit. */
  readonly cpuProfDir: string | undefined;
}

const USAGE =
  'usage: npm run bench:api -- [--duration 10s] [--warmup 5s] [--connections 50] [--keys 10000] ' +
  '[--store sqlite|memory] [--cpu-prof DIR]';

export function resolveOptions(argv: readonly string[]): ApiBenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string', default: '10s' },
      warmup: { type: 'string', default: '5s' },
      connections: { type: 'string', default: '50' },
      keys: { type: 'string', default: '10000' },
      store: { type: 'string', default: 'sqlite' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new Error(USAGE);
  const store = values.store;
  if (store !== 'sqlite' && store !== 'memory') throw new Error(`--store must be sqlite or memory\n${USAGE}`);
  return Object.freeze({
    warmupMs: duration('--warmup', values.warmup),
    durationMs: duration('--duration', values.duration),
    connections: positiveInteger('--connections', values.connections),
    keys: positiveInteger('--keys', values.keys),
    store,
    cpuProfDir: values['cpu-prof'],
  });
}

function duration(flag: string, raw: string): number {
  const ms = parseDuration(/^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw);
  if (ms === undefined)
    throw new Error(`${flag} must be a duration such as 10s or 500ms, got '${raw}'\n${USAGE}`);
  return ms;
}

function positiveInteger(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`${flag} must be a positive integer, got '${raw}'\n${USAGE}`);
  return n;
}
