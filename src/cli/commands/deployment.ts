// `meridian up | down | status`: the local multi-region deployment.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { request } from 'undici';
import { MeridianError } from '../../core/errors.ts';
import {
  DEFAULT_DATA_DIR,
  readState,
  removeState,
  tryReadState,
  type DeploymentState,
} from '../../control/deployment-state.ts';
import { DEFAULT_BASE_PORT } from '../../control/layout.ts';
import { isAlive } from '../../control/processes.ts';
import { deploymentStatus, formatStatus } from '../../control/status.ts';
import { down, stopAll, up } from '../../control/supervisor.ts';
import { exitWithError, printJson } from '../output.ts';

export function registerDeploymentCommands(program: Command): void {
  program
    .command('up')
    .description('start the local multi-region deployment (default: the built-in demo, 3 regions)')
    .option('--config <file>', 'config file (default: meridian.config.* here, else the built-in demo)')
    .option('--detach', 'return once every process is ready, leaving them running')
    .option('--data-dir <dir>', 'where stores, logs and state.json go', DEFAULT_DATA_DIR)
    .option(
      '--base-port <n>',
      'first port to use (WAN control; regions at +1.., WAN links at +100..)',
      String(DEFAULT_BASE_PORT),
    )
    .action(async (opts: { config?: string; detach?: boolean; dataDir: string; basePort: string }) => {
      try {
        const basePort = Number(opts.basePort);
        if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65_000) {
          throw new MeridianError(
            'bad_request',
            `--base-port must be a port number from 1 to 65000, got '${opts.basePort}'`,
          );
        }
        const started = Date.now();
        const state = await up({
          configFile: opts.config,
          dataDir: opts.dataDir,
          basePort,
          detach: opts.detach === true,
          progress: (line) => process.stdout.write(line + '\n'),
        });
        process.stdout.write(await summary(state, Date.now() - started));
        if (opts.detach) return;
        await superviseUntilInterrupted(state);
      } catch (err) {
        exitWithError(err);
      }
    });

  program
    .command('down')
    .description('stop the local deployment started by `meridian up`')
    .option('--data-dir <dir>', 'the deployment to stop', DEFAULT_DATA_DIR)
    .action(async (opts: { dataDir: string }) => {
      try {
        const state = await down(opts.dataDir);
        const parts = [`${state.regions.length} regions`];
        if (state.edges?.length) parts.push(`${state.edges.length} edges`);
        if (state.dns) parts.push('the GeoDNS');
        process.stdout.write(`stopped ${parts.join(', ')} and the WAN emulator\n`);
      } catch (err) {
        exitWithError(err);
      }
    });

  program
    .command('status')
    .description('regions, health, peers with measured RTT')
    .option('--json', 'machine-readable output')
    .option('--data-dir <dir>', 'the deployment to inspect', DEFAULT_DATA_DIR)
    .action(async (opts: { json?: boolean; dataDir: string }) => {
      try {
        const status = await deploymentStatus(readState(opts.dataDir));
        if (opts.json) printJson(status);
        else process.stdout.write(formatStatus(status) + '\n');
      } catch (err) {
        exitWithError(err);
      }
    });
}

async function summary(state: DeploymentState, elapsedMs: number): Promise<string> {
  const lines = [
    '',
    `Meridian is up: ${state.regions.length} regions on an emulated WAN, ready in ${(elapsedMs / 1000).toFixed(1)} s (config: ${state.configSource})`,
    ...state.regions.map((r) => `  ${r.name.padEnd(20)} ${r.url}`),
    `  ${'WAN control'.padEnd(20)} ${state.wan.controlUrl}`,
    ...(state.edges ?? []).map(
      (e) => `  ${e.name.padEnd(20)} ${e.url}  (edge router${e.city ? `, ${e.city}` : ''})`,
    ),
    ...(state.dns
      ? [`  ${'GeoDNS'.padEnd(20)} ${state.dns.address}:${state.dns.port} (UDP+TCP) for ${state.dns.service}`]
      : []),
  ];
  try {
    const res = await request(`${state.wan.controlUrl}/links`);
    const { links } = (await res.body.json()) as {
      links: Array<{ from: string; to: string; rttMs: number }>;
    };
    const order = state.regions.map((r) => r.name);
    const pairs = links
      .filter((l) => order.indexOf(l.from) < order.indexOf(l.to))
      .map((l) => `${l.from} <-> ${l.to} ${l.rttMs.toFixed(1)} ms`);
    lines.push(`  RTT: ${pairs.join(', ')}`);
  } catch {
    // The summary is a courtesy; status shows the links too.
  }
  const first = state.regions[0]!;
  lines.push(
    '',
    'Try:',
    `  curl -X PUT ${first.url}/v1/collections/profiles/docs/alice -H 'content-type: application/json' -d '{"name":"Alice"}'`,
    `  curl ${first.url}/v1/collections/profiles/docs/alice`,
    '  npx meridian status',
    `Logs: ${state.dataDir}/logs/`,
    state.detached ? 'Stop with: npx meridian down' : 'Press Ctrl-C to stop.',
    '',
  );
  return lines.join('\n');
}

/** Reports processes that die or come back (chaos, crashes) until Ctrl-C, then stops everything. */
async function superviseUntilInterrupted(initial: DeploymentState): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Regions, edges and the DNS server: every process a user would miss, by a name they know.
  const watched = (s: DeploymentState) => [
    ...s.regions.map((r) => ({
      name: r.name,
      pid: r.pid,
      logFile: r.logFile,
      restart: `\`meridian chaos restart ${r.name}\` starts it again`,
    })),
    ...(s.edges ?? []).map((e) => ({
      name: e.name,
      pid: e.pid,
      logFile: e.logFile,
      restart: 'restart the deployment to bring it back',
    })),
    ...(s.dns
      ? [
          {
            name: 'GeoDNS',
            pid: s.dns.pid,
            logFile: s.dns.logFile,
            restart: 'restart the deployment to bring it back',
          },
        ]
      : []),
  ];
  const alive = new Map(watched(initial).map((p) => [p.name, true]));
  let state = initial;
  while (!stop.signal.aborted) {
    await sleep(500, undefined, { signal: stop.signal }).catch(() => undefined);
    state = tryReadState(initial.dataDir) ?? state;
    for (const p of watched(state)) {
      const now = isAlive(p.pid);
      if (now !== alive.get(p.name)) {
        process.stdout.write(
          now
            ? `${new Date().toISOString()} ${p.name} is running again (pid ${p.pid})\n`
            : `${new Date().toISOString()} ${p.name} is DOWN: its process exited (see ${p.logFile}); ${p.restart}\n`,
        );
        alive.set(p.name, now);
      }
    }
    if (!isAlive(state.wan.pid)) {
      process.stdout.write(`the WAN emulator exited (see ${state.wan.logFile}); stopping\n`);
      break;
    }
  }
  process.stdout.write('stopping ...\n');
  await stopAll(state);
  removeState(state.dataDir);
  process.stdout.write('stopped\n');
  process.exit(0);
}
