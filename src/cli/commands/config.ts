// `meridian config check [FILE]`: validate a config and say what it declares, or exactly what is wrong.

import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.ts';
import { conflictRule } from '../../config/schema.ts';
import { exitWithError, printJson } from '../output.ts';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('work with configuration files');
  config
    .command('check [file]')
    .description(
      'validate a config file (default: meridian.config.* in this directory, else the built-in demo)',
    )
    .option('--json', 'print the resolved config as JSON')
    .action(async (file: string | undefined, opts: { json?: boolean }) => {
      try {
        const { config: resolved, source } = await loadConfig(file);
        if (opts.json) return printJson(resolved);
        const collections = Object.entries(resolved.collections)
          .map(([name, c]) => `${name} (${c.topology}, ${conflictRule(c)}, ${c.replication.mode})`)
          .join(', ');
        process.stdout.write(
          `${source}: valid\n  regions: ${resolved.regions.map((r) => r.name).join(', ')}\n  collections: ${collections || '(none)'}\n`,
        );
      } catch (err) {
        exitWithError(err);
      }
    });
}
