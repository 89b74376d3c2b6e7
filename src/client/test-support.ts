// Test fixture for the client tests: real region nodes in this process (memory stores, silent logs) on
// loopback ports, wired as peers with a shared cluster secret, started and ready for writes.

import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { resolveConfig } from '../config/resolve-config.ts';
import type { MeridianConfigInput } from '../config/schema.ts';
import { mergePolicyFor } from '../region/conflict-policies.ts';
import { createRegionNode, type RegionNode } from '../region/region-node.ts';
import { createMemoryStore } from '../store/memory-store.ts';

export interface TestRegions {
  /** Base URL of each region, by name. */
  readonly urls: Readonly<Record<string, string>>;
  readonly nodes: Readonly<Record<string, RegionNode>>;
  stop(): Promise<void>;
}

/** A port free now: bind port 0, read it, close (regions must know each other's URLs before listening). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startRegions(
  names: readonly string[],
  config: Omit<MeridianConfigInput, 'regions'>,
): Promise<TestRegions> {
  const ports = await Promise.all(names.map(() => freePort()));
  const resolved = resolveConfig({
    ...config,
    regions: names.map((name, i) => ({ name, url: `http://127.0.0.1:${ports[i]!}` })),
    replication: { secret: 'client-test-cluster-secret', ...config.replication },
  });
  const nodes: Record<string, RegionNode> = {};
  const urls: Record<string, string> = {};
  for (const [i, name] of names.entries()) {
    nodes[name] = await createRegionNode({
      config: resolved,
      region: name,
      store: createMemoryStore({ merge: mergePolicyFor(resolved) }),
      logger: pino({ level: 'silent' }),
      listen: { host: '127.0.0.1', port: ports[i]! },
    });
  }
  const stop = async () => {
    await Promise.all(Object.values(nodes).map((node) => node.stop()));
  };
  try {
    for (const name of names) urls[name] = await nodes[name]!.start();
    // A fresh region takes writes once it has heard from its peers (rebuild gate): wait for /readyz.
    await Promise.all(Object.values(urls).map((url) => waitReady(url)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls, nodes, stop };
}

async function waitReady(url: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/readyz`);
    await res.body?.cancel();
    if (res.ok) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await sleep(20);
  }
}
