// `meridian wan start --spec FILE`: run the WAN emulator as its own process (`meridian up` starts it).

import type { Command } from 'commander';
import { runWanProcess } from '../../control/wan-process.ts';
import { exitWithError } from '../output.ts';

export function registerWanCommands(program: Command): void {
  const wan = program.command('wan').description('the WAN emulator of the local deployment');
  wan
    .command('start')
    .description('run the WAN emulator: one delaying TCP proxy per directed region pair, and its control API')
    .requiredOption('--spec <file>', 'JSON file with the regions and ports (written by `meridian up`)')
    .action(async (opts: { spec: string }) => {
      try {
        const wanProcess = await runWanProcess({ configPath: opts.spec });
        await wanProcess.closed;
        process.exit(0);
      } catch (err) {
        exitWithError(err);
      }
    });
}
