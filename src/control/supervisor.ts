// `meridian up` / `meridian down`: starts the WAN emulator and one OS process per region, waits until all
// are ready, records them in state.json; stops them all again.

import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MeridianError } from '../core/errors.ts';
import { loadConfig } from '../config/load-config.ts';
import { loadRegionGeo } from '../edge/region-geo.ts';
import { allPorts, deploymentConfig, planLayout, type LocalLayout } from './layout.ts';
import { isAlive, isPortFree, meridianCommand, startProcess, stopProcess, waitUntilOk } from './processes.ts';
import {
  readState,
  removeState,
  tryReadState,
  writeState,
  type DeploymentState,
} from './deployment-state.ts';
import type { WanProcessConfig } from './wan-process.ts';

export interface UpOptions {
  readonly configFile?: string;
  readonly dataDir: string;
  readonly basePort: number;
  readonly detach: boolean;
  readonly readyTimeoutMs?: number;
  readonly progress: (line: string) => void;
}

export async function up(options: UpOptions): Promise<DeploymentState> {
  const dataDir = resolve(options.dataDir);
  const previous = tryReadState(dataDir);
  if (previous && runningPids(previous).length > 0) {
    throw new MeridianError(
      'bad_request',
      `a local deployment is already running from ${dataDir} (started ${previous.startedAt}): run \`meridian down\` first, or pass another --data-dir`,
    );
  }
  const { config, source } = await loadConfig(options.configFile);
  const layout = planLayout(config, options.basePort);
  await checkPortsFree(layout);
  mkdirSync(dataDir, { recursive: true });

  const configFile = join(dataDir, 'deployment.json');
  const geo = await loadRegionGeo(config);
  // One fresh cluster secret per deployment authenticates the replication streams; the file is private.
  const deployed = deploymentConfig(config, layout, (region) => geo.location(region));
  const secret = config.replication.secret ?? randomBytes(24).toString('base64url');
  writeFileSync(
    configFile,
    JSON.stringify({ ...deployed, replication: { ...deployed.replication, secret } }, null, 2) + '\n',
    {
      mode: 0o600,
    },
  );
  const wanSpecFile = join(dataDir, 'wan.json');
  const wanSpec: WanProcessConfig = {
    host: layout.host,
    controlHost: layout.host,
    controlPort: layout.wanControlPort,
    basePort: layout.wanLinkBasePort,
    regions: layout.regions.map((r) => ({ name: r.name, host: layout.host, port: r.port })),
    jitterMs: config.wan.jitterMs,
    bandwidthBytesPerSec: config.wan.bandwidthBytesPerSec,
    defaultRttMs: config.wan.defaultRttMs,
  };
  writeFileSync(wanSpecFile, JSON.stringify(wanSpec, null, 2) + '\n');

  const wanCommand = meridianCommand(['wan', 'start', '--spec', wanSpecFile]);
  const wanLog = join(dataDir, 'logs', 'wan.log');
  const state: DeploymentState = {
    version: 1,
    startedAt: new Date().toISOString(),
    dataDir,
    configSource: source,
    configFile,
    detached: options.detach,
    supervisorPid: options.detach ? null : process.pid,
    wan: {
      pid: null,
      command: wanCommand,
      logFile: wanLog,
      controlUrl: `http://${layout.host}:${layout.wanControlPort}`,
    },
    regions: layout.regions.map((r) => {
      const logFile = join(dataDir, 'logs', `${r.name}.log`);
      const command = meridianCommand([
        'region',
        'start',
        '--config',
        configFile,
        '--region',
        r.name,
        '--data-dir',
        join(dataDir, 'regions', r.name),
      ]);
      return { name: r.name, url: r.url, pid: null, command, logFile };
    }),
    edges: layout.edges.map((e) => ({
      name: e.name,
      region: e.region,
      city: geo.city(e.region) ?? null,
      location: geo.location(e.region) ?? null,
      url: e.url,
      pid: null,
      command: meridianCommand(['edge', 'start', '--config', configFile, '--name', e.name]),
      logFile: join(dataDir, 'logs', `${e.name}.log`),
    })),
    dns: {
      service: `${config.dns.name}.${config.dns.zone}`,
      address: layout.host,
      port: layout.dnsPort,
      statusUrl: `http://${layout.host}:${layout.dnsStatusPort}`,
      pid: null,
      command: meridianCommand([
        'dns',
        'start',
        '--config',
        configFile,
        '--status',
        `${layout.host}:${layout.dnsStatusPort}`,
      ]),
      logFile: join(dataDir, 'logs', 'dns.log'),
    },
  };

  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  try {
    options.progress(`starting WAN emulator (${layout.linkOrder.length} links) ...`);
    state.wan.pid = startProcess(wanCommand, wanLog);
    writeState(state);
    await waitUntilOk(`${state.wan.controlUrl}/healthz`, {
      timeoutMs,
      pid: state.wan.pid,
      what: 'the WAN emulator',
    });
    for (const region of state.regions) region.pid = startProcess(region.command, region.logFile);
    writeState(state);
    options.progress(
      `starting ${state.regions.length} regions: ${state.regions.map((r) => r.name).join(', ')} ...`,
    );
    await Promise.all(
      state.regions.map(async (region) => {
        await waitUntilOk(`${region.url}/readyz`, {
          timeoutMs,
          pid: region.pid!,
          what: `region ${region.name}`,
        }).catch((err: unknown) => {
          throw new MeridianError(
            'unavailable',
            `${(err as Error).message}; its log says:\n${tail(region.logFile)}`,
          );
        });
        options.progress(`  ${region.name} ready at ${region.url}`);
      }),
    );
    await startTraffic(state, timeoutMs, options.progress);
  } catch (err) {
    await stopAll(state);
    removeState(dataDir);
    throw err;
  }
  return state;
}

/** Stops every process recorded in the state, regions first, and removes the state file. */
export async function down(dataDir: string): Promise<DeploymentState> {
  const state = readState(dataDir);
  await stopAll(state);
  removeState(dataDir);
  return state;
}

export async function stopAll(state: DeploymentState): Promise<void> {
  // Edges and DNS first, so nothing routes to a region that is stopping.
  await Promise.all(
    [...(state.edges ?? []), ...(state.dns ? [state.dns] : [])].map((p) => stopProcess(p.pid)),
  );
  await Promise.all(state.regions.map((r) => stopProcess(r.pid)));
  await stopProcess(state.wan.pid);
}

export function runningPids(state: DeploymentState): number[] {
  return [
    state.wan.pid,
    ...state.regions.map((r) => r.pid),
    ...(state.edges ?? []).map((e) => e.pid),
    state.dns?.pid ?? null,
  ].filter(isAlive);
}

/** Starts the edges and the GeoDNS once the regions are ready, and waits until each has checked them. */
async function startTraffic(
  state: DeploymentState,
  timeoutMs: number,
  progress: (line: string) => void,
): Promise<void> {
  const edges = state.edges ?? [];
  for (const edge of edges) edge.pid = startProcess(edge.command, edge.logFile);
  if (state.dns) state.dns.pid = startProcess(state.dns.command, state.dns.logFile);
  writeState(state);
  progress(`starting ${edges.length} edges (one per region city) and the GeoDNS ...`);
  const ready = async (url: string, pid: number, what: string, logFile: string) =>
    waitUntilOk(url, { timeoutMs, pid, what }).catch((err: unknown) => {
      throw new MeridianError('unavailable', `${(err as Error).message}; its log says:\n${tail(logFile)}`);
    });
  await Promise.all([
    ...edges.map(async (edge) => {
      await ready(`${edge.url}/_meridian/readyz`, edge.pid!, `edge ${edge.name}`, edge.logFile);
      progress(`  ${edge.name} (${edge.city ?? 'unknown city'}) ready at ${edge.url}`);
    }),
    (async () => {
      const dns = state.dns;
      if (!dns) return;
      await ready(`${dns.statusUrl}/healthz`, dns.pid!, 'the GeoDNS', dns.logFile);
      progress(
        `  GeoDNS for ${dns.service} at ${dns.address}:${dns.port} (UDP+TCP), status ${dns.statusUrl}`,
      );
    })(),
  ]);
}

async function checkPortsFree(layout: LocalLayout): Promise<void> {
  for (const port of allPorts(layout)) {
    if (!(await isPortFree(port, layout.host))) {
      throw new MeridianError(
        'unavailable',
        `port ${port} on ${layout.host} is in use: stop what holds it (another \`meridian up\`? run \`meridian down\`) or pass --base-port`,
      );
    }
  }
  const udpFree = await new Promise<boolean>((done) => {
    const socket = createSocket('udp4');
    socket.once('error', () => done(false));
    socket.bind(layout.dnsPort, layout.host, () => socket.close(() => done(true)));
  });
  if (!udpFree) {
    throw new MeridianError(
      'unavailable',
      `UDP port ${layout.dnsPort} on ${layout.host} (the GeoDNS) is in use: stop what holds it or pass --base-port`,
    );
  }
}

function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
