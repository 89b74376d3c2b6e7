// The two servers bench:api measures: a real `meridian region start` process and the bare node:http peer.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort, startServer, type ServerChild } from './child.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const REGION = 'us-east-1';
export const COLLECTION = 'profiles';
/** The region node logs only warnings, as a production node at steady state would. */
export const REGION_LOG_LEVEL = 'warn';

export interface RegionServerOptions {
  readonly dataDir: string;
  readonly store: 'sqlite' | 'memory';
  readonly cpuProfDir: string | undefined;
}

export interface RegionServer extends ServerChild {
  /** The SQLite file the node writes, when the store is sqlite. */
  readonly databaseFile: string | undefined;
}

export async function startRegionNode(options: RegionServerOptions): Promise<RegionServer> {
  const url = `http://127.0.0.1:${await freePort()}`;
  const configFile = join(options.dataDir, 'meridian.config.json');
  const config = {
    regions: [{ name: REGION, url }],
    collections: { [COLLECTION]: {} },
    log: { level: REGION_LOG_LEVEL },
  };
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const profile = options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
  const child = await startServer({
    name: 'region node',
    cwd: REPO_ROOT,
    url,
    readyPath: '/readyz',
    args: [
      ...profile,
      join(REPO_ROOT, 'bin/meridian.js'),
      ...['region', 'start', '--config', configFile, '--region', REGION],
      ...['--data-dir', options.dataDir, '--store', options.store],
    ],
  });
  const databaseFile = join(options.dataDir, `${REGION}.db`);
  return { ...child, databaseFile: existsSync(databaseFile) ? databaseFile : undefined };
}

export async function startBareServer(): Promise<ServerChild> {
  const port = await freePort();
  return startServer({
    name: 'bare node:http server',
    cwd: REPO_ROOT,
    url: `http://127.0.0.1:${port}`,
    readyPath: '/',
    args: ['--import', 'tsx', join(REPO_ROOT, 'bench/lib/bare-server.ts'), String(port)],
  });
}

/** Live documents the region node's store holds, read from its /metrics (proves what the reads hit). */
export async function storeDocumentCount(url: string): Promise<number | undefined> {
  const res = await request(`${url}/metrics`);
  const text = await res.body.text();
  const line = text.split('\n').find((l) => l.startsWith('meridian_store_documents'));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}
