// `meridian drill kill REGION`: a failure drill under virtual-user load; reports the time until every new
// request succeeds elsewhere and the requests that failed in between, then restarts the region.

import type { Command } from 'commander';
import { MeridianError } from '../../core/errors.ts';
import { checkRegionName } from '../../control/chaos.ts';
import { DEFAULT_DATA_DIR, readState } from '../../control/deployment-state.ts';
import { runDrill } from '../../edge/drill.ts';
import { exitWithError, printJson } from '../output.ts';
import { positive, progressPrinter } from './load.ts';

export function registerDrillCommands(program: Command): void {
  const drill = program
    .command('drill')
    .description('failure drills on the local deployment, under virtual-user load');
  drill
    .command('kill <region>')
    .description('kill a region under load; report time until every new request succeeds elsewhere')
    .option('--rate <n>', 'requests per second', '100')
    .option('--warmup <duration>', 'load before the kill', '2s')
    .option('--observe <duration>', 'load after the kill', '5s')
    .option('--path <path>', 'what each user GETs', '/healthz')
    .option('--last-mile <ms>', "round trip of each user's access network", '10')
    .option('--no-restart', 'leave the region dead afterwards')
    .option('--json', 'machine-readable output')
    .option('--data-dir <dir>', 'the deployment', DEFAULT_DATA_DIR)
    .action(
      async (
        region: string,
        opts: {
          rate: string;
          warmup: string;
          observe: string;
          path: string;
          lastMile: string;
          restart: boolean;
          json?: boolean;
          dataDir: string;
        },
      ) => {
        try {
          const state = readState(opts.dataDir);
          checkRegionName(state, region);
          const lastMileRttMs = Number(opts.lastMile);
          if (!(lastMileRttMs >= 0))
            throw new MeridianError('bad_request', `--last-mile must be >= 0 ms, got '${opts.lastMile}'`);
          const result = await runDrill({
            state,
            region,
            ratePerSec: positive(opts.rate, '--rate'),
            warmupMs: positive(opts.warmup, '--warmup', 'ms'),
            observeMs: positive(opts.observe, '--observe', 'ms'),
            lastMileRttMs,
            path: opts.path,
            noRestart: !opts.restart,
            onProgress: progressPrinter(opts.json === true),
          });
          if (!opts.json && process.stderr.isTTY) process.stderr.write('\n');
          if (opts.json) return printJson(result);
          const served =
            Object.entries(result.servedAfter)
              .map(([r, n]) => `${r} ${n}`)
              .join(', ') || 'none';
          process.stdout.write(
            [
              `drill: killed ${region} under load (${result.requests} requests, ${result.requestsAfterKill} after the kill)`,
              `  every new request succeeded elsewhere ${result.recoveredAfterMs} ms after the kill`,
              `  every edge had taken ${region} out ${result.edgesDetectedAfterMs === null ? 'NOT within the drill' : `${result.edgesDetectedAfterMs} ms after the kill`}`,
              `  failed in between: ${result.failed}; retried by an edge after reaching ${region} first: ${result.retried}`,
              `  users ${region} served before were served by: ${served}`,
              ...result.failures.map((f) => `    ${f.arrivedAtMs} ms  ${f.city} via ${f.target}: ${f.error}`),
              result.restartMs === null
                ? `  ${region} left dead (--no-restart)`
                : `  ${region} restarted and ready in ${result.restartMs} ms`,
              '',
            ].join('\n'),
          );
        } catch (err) {
          exitWithError(err);
        }
      },
    );
}
