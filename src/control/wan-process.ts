// Runs the WAN emulator as its own OS process: reads a JSON file, starts links and control API, prints "ready".
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ErrorCode, MeridianError } from '../core/errors.ts';
import { loadLatencyMatrix } from './wan-data.ts';
import { createWanEmulator } from './wan-emulator.ts';
import type { WanEmulator } from './wan-emulator.ts';
import { startWanServer } from './wan-server.ts';
import type { WanServer } from './wan-server.ts';

const port = z.number().int().min(0).max(65535);
const nonNegative = z.number().finite().min(0);

const regionSchema = z.strictObject({ name: z.string().min(1), host: z.string().min(1), port: port.min(1) });

/** The file `runWanProcess` reads. Strict: a misspelt key is an error, not a silent default. */
export const wanProcessConfigSchema = z.strictObject({
  regions: z.array(regionSchema).min(1, { message: 'expected at least one region' }),
  /** Link i listens on basePort + i, links in (from, to) order of `regions`; absent: the OS chooses. */
  basePort: port.min(1).optional(),
  /** Where the links listen; default 127.0.0.1. */
  host: z.string().min(1).optional(),
  jitterMs: nonNegative.optional(),
  bandwidthBytesPerSec: z.number().finite().positive().optional(),
  /** RTT for pairs the measured data does not cover; default 100 ms. */
  defaultRttMs: nonNegative.optional(),
  /** Control API port; default 0 (the OS chooses: read it from the ready line). */
  controlPort: port.optional(),
  controlHost: z.string().min(1).optional(),
});
export type WanProcessConfig = z.infer<typeof wanProcessConfigSchema>;

export interface WanProcessOptions {
  /** Path of a JSON file matching `wanProcessConfigSchema`. */
  readonly configPath: string;
  /** Where the ready line goes; default process.stdout. */
  readonly stdout?: { write(line: string): unknown };
  /** Close on SIGTERM and SIGINT; default true. */
  readonly handleSignals?: boolean;
  /** Folder holding the RTT and location files; default the repository's data/. */
  readonly dataDir?: URL;
  readonly random?: () => number;
}

export interface WanProcess {
  readonly controlUrl: string;
  readonly emulator: WanEmulator;
  /** Stops links and control API. Idempotent. */
  close(): Promise<void>;
  /** Settles once closed, whether by close() or by a signal. */
  readonly closed: Promise<void>;
}

export async function runWanProcess(options: WanProcessOptions): Promise<WanProcess> {
  const config = await readConfig(options.configPath);
  const emulator = createWanEmulator({
    regions: config.regions,
    matrix: await loadLatencyMatrix(options.dataDir),
    basePort: config.basePort,
    host: config.host,
    jitterMs: config.jitterMs,
    bandwidthBytesPerSec: config.bandwidthBytesPerSec,
    defaultRttMs: config.defaultRttMs,
    random: options.random ?? Math.random,
  });
  let server: WanServer;
  try {
    await emulator.start();
    server = await startWanServer(emulator, { port: config.controlPort, host: config.controlHost });
  } catch (err) {
    await emulator.close();
    throw err;
  }

  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  let closing: Promise<void> | undefined;
  const onSignal = (): void => {
    void close();
  };
  function close(): Promise<void> {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    closing ??= Promise.all([server.close(), emulator.close()]).then(markClosed);
    return closing;
  }
  if (options.handleSignals ?? true) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  const links = emulator.links().map(({ from, to, rttMs, floorRttMs }) => ({
    from,
    to,
    url: emulator.linkUrl(from, to),
    rttMs,
    floorRttMs: Math.round(floorRttMs * 1000) / 1000,
  }));
  (options.stdout ?? process.stdout).write(
    JSON.stringify({ ready: true, controlUrl: server.url, links }) + '\n',
  );
  return { controlUrl: server.url, emulator, close, closed };
}

async function readConfig(path: string): Promise<WanProcessConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new MeridianError(ErrorCode.InvalidConfig, `cannot read WAN config ${path}: ${String(cause)}`, {
      cause,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new MeridianError(
      ErrorCode.InvalidConfig,
      `WAN config ${path} is not valid JSON: ${String(cause)}`,
      { cause },
    );
  }
  const result = wanProcessConfigSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    throw new MeridianError(
      ErrorCode.InvalidConfig,
      `WAN config ${path}: ${result.error.issues.map(describe).join('; ')}`,
    );
  }
  return result.data;
}

/** One issue as `path: problem, got value`, or for a misspelt key the keys allowed there. */
function describe(issue: z.core.$ZodIssue): string {
  const at = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const allowed = Object.keys(at === '' ? wanProcessConfigSchema.shape : regionSchema.shape).join(', ');
    return issue.keys
      .map((key) => `${at === '' ? '' : `${at}.`}${key}: unknown key; allowed: ${allowed}`)
      .join('; ');
  }
  const got = issue.input === undefined ? 'nothing' : JSON.stringify(issue.input);
  return `${at || '(root)'}: ${issue.message}, got ${got}`;
}
