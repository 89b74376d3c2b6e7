// `meridian verify`: are all regions' data identical? Exit 0 if so, 1 naming the keys that differ.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { MeridianError } from '../../core/errors.ts';
import { DEFAULT_DATA_DIR, readState } from '../../control/deployment-state.ts';
import { formatVerifyReport, verifyRegions, type VerifyReport } from '../../control/verify.ts';
import { exitWithError, printJson } from '../output.ts';

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description("compare every region's data; exit 1 naming the keys that differ")
    .option('--json', 'machine-readable output')
    .option(
      '--wait <seconds>',
      'keep checking until identical or this many seconds passed (replication in flight)',
      '0',
    )
    .option('--data-dir <dir>', 'the deployment to check', DEFAULT_DATA_DIR)
    .action(async (opts: { json?: boolean; wait: string; dataDir: string }) => {
      try {
        const waitS = Number(opts.wait);
        if (!Number.isFinite(waitS) || waitS < 0)
          throw new MeridianError('bad_request', `--wait must be a number of seconds, got '${opts.wait}'`);
        const regions = readState(opts.dataDir).regions.map((r) => ({ name: r.name, url: r.url }));
        const deadline = Date.now() + waitS * 1000;
        let report: VerifyReport;
        for (;;) {
          report = await verifyRegions(regions);
          if (report.identical || Date.now() >= deadline) break;
          await sleep(250);
        }
        if (opts.json) printJson(report);
        else process.stdout.write(formatVerifyReport(report) + '\n');
        process.exitCode = report.identical ? 0 : 1;
      } catch (err) {
        exitWithError(err);
      }
    });
}
