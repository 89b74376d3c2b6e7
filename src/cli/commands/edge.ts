// `meridian edge start`: run one edge router (an HTTP reverse proxy that picks a region per request).

import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.ts';
import { runUntilSignalled, startEdgeProcess } from '../../edge/edge-process.ts';
import { exitWithError } from '../output.ts';

export function registerEdgeCommands(program: Command): void {
  const edge = program.command('edge').description('run an edge router');
  edge
    .command('start')
    .description('run one edge router in the foreground: proxies to the region the routing policy picks')
    .option('--config <file>', 'config file (default: meridian.config.* in this directory)')
    .option('--name <name>', 'which edges[] entry of the config this is (its url, location, region URLs)')
    .option('--listen <host:port>', "where to listen (default: the edge's url, else 127.0.0.1:8080)")
    .action(async (opts: { config?: string; name?: string; listen?: string }) => {
      try {
        const { config } = await loadConfig(opts.config);
        const running = await startEdgeProcess(config, opts);
        runUntilSignalled(running, exitWithError);
        process.stdout.write(running.description + '\n');
      } catch (err) {
        exitWithError(err);
      }
    });
}
