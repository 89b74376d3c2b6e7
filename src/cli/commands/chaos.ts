// `meridian chaos`: faults on the running local deployment (kill, restart, partition, heal, latency).

import type { Command } from 'commander';
import { MeridianError } from '../../core/errors.ts';
import { killRegion, restartRegion, wanControl } from '../../control/chaos.ts';
import { DEFAULT_DATA_DIR, readState } from '../../control/deployment-state.ts';
import { exitWithError } from '../output.ts';

type Opts = { dataDir: string };

function run(action: (opts: Opts, ...args: string[]) => Promise<string>) {
  return async (...args: unknown[]) => {
    const positional = args.filter((a): a is string => typeof a === 'string');
    const opts = args.find((a): a is Opts => typeof a === 'object' && a !== null && 'dataDir' in a)!;
    try {
      process.stdout.write((await action(opts, ...positional)) + '\n');
    } catch (err) {
      exitWithError(err);
    }
  };
}

export function registerChaosCommands(program: Command): void {
  const chaos = program.command('chaos').description('inject faults into the local deployment');
  const dataDir = ['--data-dir <dir>', 'the deployment', DEFAULT_DATA_DIR] as const;

  chaos
    .command('kill <region>')
    .description('kill -9 a region process (it is not restarted)')
    .option(...dataDir)
    .action(
      run(async (opts, region) => {
        const pid = killRegion(readState(opts.dataDir), region);
        return pid === null ? `${region} was not running` : `killed ${region} (pid ${pid})`;
      }),
    );

  chaos
    .command('restart <region>')
    .description('start a region process again (stopping it first if it runs)')
    .option(...dataDir)
    .action(
      run(async (opts, region) => {
        const { pid, ready } = await restartRegion(readState(opts.dataDir), region);
        return ready
          ? `restarted ${region} (pid ${pid})`
          : `restarted ${region} (pid ${pid}); not ready yet: rebuilding from its peers (see \`meridian status\`)`;
      }),
    );

  chaos
    .command('partition <a> <b>')
    .description('cut the link between two regions, both directions')
    .option(...dataDir)
    .action(
      run(async (opts, a, b) => {
        await wanControl(readState(opts.dataDir), '/partition', { a, b });
        return `partitioned ${a} <-> ${b}`;
      }),
    );

  chaos
    .command('heal [a] [b]')
    .description('heal the link between two regions, or every link')
    .option(...dataDir)
    .action(
      run(async (opts, a, b) => {
        if ((a === undefined) !== (b === undefined)) {
          throw new MeridianError(
            'bad_request',
            'name two regions (`chaos heal A B`) or none (`chaos heal`, every link)',
          );
        }
        await wanControl(readState(opts.dataDir), '/heal', a === undefined ? {} : { a, b });
        return a === undefined ? 'healed every link' : `healed ${a} <-> ${b}`;
      }),
    );

  chaos
    .command('latency <a> <b> <ms>')
    .description('set the round-trip time between two regions (never below the fibre floor)')
    .option(...dataDir)
    .action(
      run(async (opts, a, b, ms) => {
        const rttMs = Number(ms);
        if (!Number.isFinite(rttMs) || rttMs < 0) {
          throw new MeridianError(
            'bad_request',
            `latency must be a round-trip time in milliseconds, got '${ms}'`,
          );
        }
        await wanControl(readState(opts.dataDir), '/latency', { a, b, rttMs });
        return `${a} <-> ${b} round trip is now ${rttMs} ms`;
      }),
    );
}
