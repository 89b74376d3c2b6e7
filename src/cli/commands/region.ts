// `meridian region start`: run one region node (how production runs, and what `meridian up` spawns).

import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { MeridianError } from '../../core/errors.ts';
import { loadConfig } from '../../config/load-config.ts';
import { createRegionNode, regionConfig } from '../../region/region-node.ts';
import { mergePolicyFor } from '../../region/conflict-policies.ts';
import { createMemoryStore } from '../../store/memory-store.ts';
import { createSqliteStore } from '../../store/sqlite-store.ts';
import { exitWithError } from '../output.ts';

export function registerRegionCommands(program: Command): void {
  const region = program.command('region').description('run a region node');
  region
    .command('start')
    .description('run one region node in the foreground')
    .requiredOption('--region <name>', 'which region of the config this node is')
    .option('--config <file>', 'config file (default: meridian.config.* in this directory)')
    .option('--data-dir <dir>', 'where the store lives (default: .meridian/regions/<region>)')
    .option('--store <kind>', 'override the config: sqlite or memory')
    .action(async (opts: { region: string; config?: string; dataDir?: string; store?: string }) => {
      try {
        const { config } = await loadConfig(opts.config);
        regionConfig(config, opts.region);
        const kind = opts.store ?? config.store.kind;
        if (kind !== 'sqlite' && kind !== 'memory') {
          throw new MeridianError('bad_request', `--store must be sqlite or memory, got '${kind}'`);
        }
        const dataDir = resolve(opts.dataDir ?? join('.meridian', 'regions', opts.region));
        // Remote changes merge by each collection's conflict policy, inside the store's transaction.
        const merge = mergePolicyFor(config);
        const store =
          kind === 'memory'
            ? createMemoryStore({ merge })
            : createSqliteStore({
                path: join(dataDir, `${opts.region}.db`),
                synchronous: config.store.synchronous,
                maxBytes: config.store.maxBytes,
                merge,
              });
        const node = await createRegionNode({ config, region: opts.region, store });
        const shutdown = () => {
          node.stop().then(
            () => process.exit(0),
            (err: unknown) => exitWithError(err),
          );
        };
        process.once('SIGTERM', shutdown);
        process.once('SIGINT', shutdown);
        await node.start();
      } catch (err) {
        exitWithError(err);
      }
    });
}
