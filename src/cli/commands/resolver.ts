// `meridian resolver check`: property-tests the application resolvers of a config (commutative,
// associative, idempotent, deterministic) and prints the smallest counterexample it finds.

import type { Command } from 'commander';
import { MeridianError } from '../../core/errors.ts';
import { loadConfig } from '../../config/load-config.ts';
import { checkResolver, type ConflictResolver } from '../../conflict/resolver-check.ts';
import { exitWithError, printJson } from '../output.ts';

export function registerResolverCommands(program: Command): void {
  const resolver = program
    .command('resolver')
    .description('application conflict resolvers (conflict: { resolve })');
  resolver
    .command('check')
    .description(
      'property-test every resolver in the config: commutative, associative, idempotent, deterministic',
    )
    .option('--config <file>', 'config file (default: meridian.config.* here)')
    .option('--collection <name>', 'only this collection')
    .option('--runs <n>', 'random cases per property', '200')
    .option('--seed <n>', 'replay a run with this seed')
    .option('--json', 'machine-readable output')
    .action(
      async (opts: { config?: string; collection?: string; runs: string; seed?: string; json?: boolean }) => {
        try {
          const runs = Number(opts.runs);
          if (!Number.isInteger(runs) || runs < 1) {
            throw new MeridianError(
              'bad_request',
              `--runs must be a positive whole number, got '${opts.runs}'`,
            );
          }
          const seed = opts.seed === undefined ? undefined : Number(opts.seed);
          if (seed !== undefined && !Number.isInteger(seed)) {
            throw new MeridianError('bad_request', `--seed must be a whole number, got '${opts.seed}'`);
          }
          const { config, source } = await loadConfig(opts.config);
          const names = Object.keys(config.collections).filter(
            (name) =>
              typeof config.collections[name]!.conflict !== 'string' && (opts.collection ?? name) === name,
          );
          if (names.length === 0) {
            throw new MeridianError(
              'bad_request',
              opts.collection
                ? `collection '${opts.collection}' in ${source} has no resolver (conflict: { resolve(a, b, ctx) })`
                : `${source} declares no collection with a resolver (conflict: { resolve(a, b, ctx) })`,
            );
          }
          const results = names.map((name) => ({
            collection: name,
            ...checkResolver(config.collections[name]!.conflict as ConflictResolver, { runs, seed }),
          }));
          if (opts.json) printJson(results);
          else {
            for (const r of results) {
              if (r.ok) {
                process.stdout.write(
                  `${r.collection}: ok (commutative, associative, idempotent, deterministic; ${r.runs} cases each)\n`,
                );
              } else {
                const f = r.failure!;
                process.stdout.write(
                  `${r.collection}: NOT ${f.property}: ${f.detail}\n  counterexample: ${f.inputs.map((d) => JSON.stringify(d)).join(' , ')}\n  replay: meridian resolver check --collection ${r.collection} --seed ${f.seed}\n`,
                );
              }
            }
          }
          if (results.some((r) => !r.ok)) process.exitCode = 1;
        } catch (err) {
          exitWithError(err);
        }
      },
    );
}
