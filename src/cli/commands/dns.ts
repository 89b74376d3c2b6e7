// `meridian dns start`: run the authoritative GeoDNS for the service name (UDP and TCP).

import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.ts';
import { runUntilSignalled, startDnsProcess } from '../../edge/edge-process.ts';
import { exitWithError } from '../output.ts';

export function registerDnsCommands(program: Command): void {
  const dns = program.command('dns').description('run the GeoDNS');
  dns
    .command('start')
    .description('run the authoritative GeoDNS in the foreground (UDP and TCP, plus an HTTP status API)')
    .option('--config <file>', 'config file (default: meridian.config.* in this directory)')
    .option('--listen <host:port>', 'UDP and TCP address (default: dns.listen, else 127.0.0.1:5353)')
    .option(
      '--status <host:port>',
      'HTTP status API: /healthz, /status, /explain?ip= (default: the DNS port + 1)',
    )
    .action(async (opts: { config?: string; listen?: string; status?: string }) => {
      try {
        const { config } = await loadConfig(opts.config);
        const running = await startDnsProcess(config, opts);
        runUntilSignalled(running, exitWithError);
        process.stdout.write(running.description + '\n');
      } catch (err) {
        exitWithError(err);
      }
    });
}
