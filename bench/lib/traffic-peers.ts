// The processes bench:traffic measures: an edge router in front of one region node, HAProxy with the
// equivalent config (when installed), and the GeoDNS; plus a UDP query blaster for the GeoDNS.

import { spawn, execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { queryPacket } from '../../src/edge/dns-test-support.ts';
import { freePort, startServer, type ServerChild } from './child.ts';
import { REPO_ROOT } from './servers.ts';

const BIN = join(REPO_ROOT, 'bin/meridian.js');

/** A config with one region at `regionUrl`, the edge `bench-edge` and the GeoDNS. */
export function trafficConfig(regionUrl: string, edgeUrl: string): Record<string, unknown> {
  return {
    regions: [{ name: 'us-east-1', url: regionUrl }],
    collections: { profiles: {} },
    edges: [{ name: 'bench-edge', url: edgeUrl }],
    dns: { answers: { 'us-east-1': { a: ['127.0.1.1'] } } },
    log: { level: 'warn' },
  };
}

export async function startEdge(dir: string, regionUrl: string): Promise<ServerChild> {
  const url = `http://127.0.0.1:${await freePort()}`;
  const configFile = join(dir, 'edge.config.json');
  writeFileSync(configFile, JSON.stringify(trafficConfig(regionUrl, url), null, 2));
  return startServer({
    name: 'edge router',
    cwd: REPO_ROOT,
    url,
    readyPath: '/_meridian/readyz',
    args: [BIN, 'edge', 'start', '--config', configFile, '--name', 'bench-edge'],
  });
}

export function haproxyVersion(): string | undefined {
  try {
    return execFileSync('haproxy', ['-v'], { encoding: 'utf8' }).split('\n')[0]?.trim();
  } catch {
    return undefined;
  }
}

/** HAProxy as a plain HTTP reverse proxy with kept-alive server connections: what the edge does per request. */
export async function startHaproxy(
  dir: string,
  regionUrl: string,
): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const region = new URL(regionUrl);
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global',
      '  maxconn 4096',
      '  nbthread 1',
      'defaults',
      '  mode http',
      '  timeout connect 5s',
      '  timeout client 30s',
      '  timeout server 30s',
      '  option http-keep-alive',
      'frontend edge',
      `  bind 127.0.0.1:${port}`,
      '  http-request set-header x-forwarded-for %[src]',
      '  default_backend region',
      'backend region',
      '  http-reuse always',
      `  server r1 ${region.hostname}:${region.port} maxconn 256`,
      '',
    ].join('\n'),
  );
  const child = spawn('haproxy', ['-f', cfg, '-db'], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const res = await request(`${url}/healthz`);
      await res.body.dump();
      if (res.statusCode === 200) break;
    } catch {
      await sleep(50);
    }
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    pid: child.pid ?? -1,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function startDns(dir: string, regionUrl: string): Promise<ServerChild & { dnsPort: number }> {
  const dnsPort = await freePort();
  const statusPort = await freePort();
  const configFile = join(dir, 'dns.config.json');
  writeFileSync(configFile, JSON.stringify(trafficConfig(regionUrl, 'http://127.0.0.1:1'), null, 2));
  const child = await startServer({
    name: 'GeoDNS',
    cwd: REPO_ROOT,
    url: `http://127.0.0.1:${statusPort}`,
    readyPath: '/healthz',
    args: [
      BIN,
      'dns',
      'start',
      '--config',
      configFile,
      '--listen',
      `127.0.0.1:${dnsPort}`,
      '--status',
      `127.0.0.1:${statusPort}`,
    ],
  });
  return { ...child, dnsPort };
}

export interface BlastResult {
  readonly sent: number;
  readonly answered: number;
  readonly elapsedMs: number;
  readonly queriesPerSec: number;
}

/**
 * Keeps `window` queries outstanding over one UDP socket for `durationMs`, each with an ECS subnet of a
 * random simulator city; a query unanswered for 1 s is given up and replaced.
 */
export async function blastDns(
  port: number,
  durationMs: number,
  window: number,
  subnets: readonly string[],
): Promise<BlastResult> {
  const socket = createSocket('udp4');
  const outstanding = new Map<number, number>();
  let sent = 0;
  let answered = 0;
  let nextId = 1;
  const start = performance.now();
  const send = () => {
    const id = nextId;
    nextId = (nextId % 65_535) + 1;
    const query = queryPacket(
      'api.meridian.test',
      'A',
      subnets[Math.floor(Math.random() * subnets.length)],
      id,
    );
    outstanding.set(id, performance.now());
    sent++;
    socket.send(query, port, '127.0.0.1');
  };
  await new Promise<void>((resolve) => {
    socket.on('message', (msg: Buffer) => {
      const id = msg.readUInt16BE(0);
      if (!outstanding.delete(id)) return;
      answered++;
      if (performance.now() - start < durationMs) send();
      else if (outstanding.size === 0) resolve();
    });
    for (let i = 0; i < window; i++) send();
    const reaper = setInterval(() => {
      const now = performance.now();
      for (const [id, at] of outstanding) {
        if (now - at > 1000) {
          outstanding.delete(id);
          if (now - start < durationMs) send();
        }
      }
      if (now - start >= durationMs + 1000) resolve();
    }, 200);
    void new Promise((r) => setTimeout(r, durationMs + 1100)).then(() => clearInterval(reaper));
  });
  const elapsedMs = Math.min(performance.now() - start, durationMs + 1000);
  socket.close();
  return { sent, answered, elapsedMs, queriesPerSec: Math.round((answered / elapsedMs) * 1000) };
}
