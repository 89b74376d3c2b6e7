// `meridian load`: virtual users in world cities against the local deployment, with a progress bar; prints
// end-to-end latency per continent, which region served whom, and the errors.

import type { Command } from 'commander';
import { MeridianError } from '../../core/errors.ts';
import { parseDuration } from '../../core/duration.ts';
import { DEFAULT_DATA_DIR, readState } from '../../control/deployment-state.ts';
import { progressBar, formatLoad, summarizeLoad } from '../../edge/load-report.ts';
import { runLoad, type LoadProgress } from '../../edge/load-run.ts';
import { loadSetup } from '../../edge/load-setup.ts';
import { exitWithError, printJson } from '../output.ts';

export function positive(value: string, flag: string, unit = ''): number {
  const n = unit === 'ms' ? parseDuration(value) : Number(value);
  if (n === undefined || !Number.isFinite(n) || n <= 0) {
    throw new MeridianError(
      'bad_request',
      `${flag} must be a positive ${unit === 'ms' ? "duration such as '10s'" : 'number'}, got '${value}'`,
    );
  }
  return n;
}

/** A progress bar on a terminal; on a pipe, a line at each quarter. */
export function progressPrinter(json: boolean): (p: LoadProgress) => void {
  let quarter = 0;
  return (p) => {
    if (json) return;
    if (process.stderr.isTTY) process.stderr.write(`\r${progressBar(p)}`);
    else if (p.elapsedMs / p.durationMs >= (quarter + 1) / 4) {
      quarter = Math.floor((p.elapsedMs / p.durationMs) * 4);
      process.stderr.write(`${progressBar(p)}\n`);
    }
  };
}

export function registerLoadCommand(program: Command): void {
  program
    .command('load')
    .description('virtual users in world cities (weighted by population) against the local deployment')
    .option('--duration <duration>', 'how long to send', '10s')
    .option('--rate <n>', 'requests per second, all users together', '50')
    .option('--single-region <region>', 'send every user to this region directly (the comparison)')
    .option('--path <path>', 'what each user GETs', '/healthz')
    .option('--last-mile <ms>', "round trip of each user's access network", '10')
    .option('--json', 'machine-readable output')
    .option('--data-dir <dir>', 'the deployment', DEFAULT_DATA_DIR)
    .action(
      async (opts: {
        duration: string;
        rate: string;
        singleRegion?: string;
        path: string;
        lastMile: string;
        json?: boolean;
        dataDir: string;
      }) => {
        try {
          const durationMs = positive(opts.duration, '--duration', 'ms');
          const ratePerSec = positive(opts.rate, '--rate');
          const lastMileRttMs = Number(opts.lastMile);
          if (!(lastMileRttMs >= 0))
            throw new MeridianError('bad_request', `--last-mile must be >= 0 ms, got '${opts.lastMile}'`);
          if (!opts.path.startsWith('/'))
            throw new MeridianError('bad_request', `--path must start with '/', got '${opts.path}'`);
          const setup = await loadSetup(readState(opts.dataDir), opts.singleRegion);
          const run = await runLoad({
            ...setup,
            lastMileRttMs,
            ratePerSec,
            durationMs,
            path: opts.path,
            onProgress: progressPrinter(opts.json === true),
          });
          if (!opts.json && process.stderr.isTTY) process.stderr.write('\n');
          const summary = summarizeLoad(run, setup.mode, setup.cities, setup.regionLocations);
          if (opts.json) printJson(summary);
          else process.stdout.write(formatLoad(summary) + '\n');
        } catch (err) {
          exitWithError(err);
        }
      },
    );
}
