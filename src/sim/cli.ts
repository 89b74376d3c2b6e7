// `npm run sim -- --seed N [--runs K] [--trace]`: runs seeds N..N+K-1 of the replication simulator,
// prints progress and a summary, and every failure with its plan and replay command; exit 1 on failure.

import { parseArgs } from 'node:util';
import { loadLatencyMatrix } from '../control/wan-data.ts';
import { formatFailure, SimTally } from './sim-report.ts';
import { describePlan } from './sim-plan.ts';
import { runSimulation } from './simulate.ts';

const USAGE = 'usage: npm run sim -- [--seed N] [--runs K] [--trace]';

function wholeNumber(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) {
    process.stderr.write(`--${name} must be a whole number >= ${min}, got '${text}'\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      runs: { type: 'string' },
      trace: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const first = wholeNumber('seed', values.seed, 1, 0);
  const runs = wholeNumber('runs', values.runs, 1, 1);
  const matrix = await loadLatencyMatrix();

  if (runs === 1) {
    const result = await runSimulation({ seed: first, matrix, keepTrace: values.trace });
    if (values.trace) for (const line of result.trace ?? []) process.stdout.write(`${line}\n`);
    process.stdout.write(`seed ${first}\n${describePlan(result.plan).join('\n')}\n`);
    process.stdout.write(
      `${result.ok ? 'ok' : 'FAILED'}: ${result.writes.acked} writes acknowledged, ` +
        `converged ${result.catchUpMs ?? '-'} ms after the fault window; ${result.traceLines} trace lines, trace ${result.traceHash}\n`,
    );
    if (!result.ok) process.stdout.write(`${formatFailure(result)}\n`);
    return result.ok ? 0 : 1;
  }

  const tally = new SimTally();
  const started = performance.now();
  const tty = process.stdout.isTTY;
  let lastProgress = started;
  for (let seed = first; seed < first + runs; seed++) {
    const result = await runSimulation({ seed, matrix });
    tally.add(result);
    if (!result.ok) {
      // Replaying the seed with its trace kept shows the run is deterministic and gives its last steps.
      const replay = await runSimulation({ seed, matrix, keepTrace: true });
      const note =
        replay.traceHash === result.traceHash
          ? ''
          : '\n  WARNING: the replay took a different path (nondeterminism)';
      process.stdout.write(
        `${tty ? '\n' : ''}${formatFailure(result, (replay.trace ?? []).slice(-30))}${note}\n`,
      );
    }
    const now = performance.now();
    const done = seed - first + 1;
    if (now - lastProgress > 1000 || done === runs) {
      lastProgress = now;
      const line = `seeds ${first}..${seed}: ${done}/${runs} run, ${tally.failed.length} failed, ${((now - started) / 1000).toFixed(1)} s`;
      process.stdout.write(tty ? `\r${line}` : `${line}\n`);
    }
  }
  process.stdout.write(`${tty ? '\n' : ''}${tally.format(performance.now() - started)}\n`);
  return tally.failed.length === 0 ? 0 : 1;
}

process.exitCode = await main();
