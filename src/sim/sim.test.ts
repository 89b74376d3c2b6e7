// The simulator over a few hundred seeds, replay determinism, and proof that the checker catches bugs.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadLatencyMatrix } from '../control/wan-data.ts';
import type { LatencyMatrix } from '../core/latency-matrix.ts';
import type { RegionClock } from '../replication/region-clock.ts';
import type { Store } from '../store/store.ts';
import { formatFailure } from './sim-report.ts';
import type { SimBugs } from './sim-region.ts';
import { runSimulation, type SimResult } from './simulate.ts';

let matrix: LatencyMatrix;
before(async () => {
  matrix = await loadLatencyMatrix();
});

const SEEDS = 200;

test(
  `${SEEDS} seeds: every run converges with no write lost, in order, exactly once`,
  { timeout: 300_000 },
  async () => {
    const failed: string[] = [];
    const seen = { refusals: 0, gaps: 0, wipes: 0, truncated: 0, purged: 0, snapshots: 0 };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = await runSimulation({ seed, matrix });
      if (!result.ok) failed.push(formatFailure(result));
      seen.refusals += result.replication.refused;
      seen.gaps += result.replication.gaps;
      seen.wipes += result.lifecycle.wipes;
      seen.truncated += result.replication.entriesTruncated;
      seen.purged += result.replication.tombstonesPurged;
      seen.snapshots += result.replication.snapshotsInstalled;
    }
    assert.deepEqual(failed, []);
    // The seeds do exercise the hard paths.
    assert.ok(
      Object.values(seen).every((n) => n > 0),
      JSON.stringify(seen),
    );
  },
);

test('a seed replays exactly: same trace, same hash; another seed takes another path', async () => {
  const a = await runSimulation({ seed: 4242, matrix, keepTrace: true });
  const b = await runSimulation({ seed: 4242, matrix, keepTrace: true });
  assert.equal(a.traceHash, b.traceHash);
  assert.deepEqual(a.trace, b.trace);
  assert.ok((a.trace?.length ?? 0) > 100);
  const other = await runSimulation({ seed: 4243, matrix });
  assert.notEqual(other.traceHash, a.traceHash);
});

/** Runs seeds from 1 until one fails; the checker must find the bug within `limit` seeds. */
async function firstFailure(bugs: SimBugs, limit: number): Promise<SimResult> {
  for (let seed = 1; seed <= limit; seed++) {
    const result = await runSimulation({ seed, matrix, bugs });
    if (!result.ok) return result;
  }
  assert.fail(`no seed in 1..${limit} caught the injected bug`);
}

test('catches a store that silently drops an apply', async () => {
  // In one region, the first remote change of some origin is acknowledged as applied but never stored.
  const bugs: SimBugs = {
    wrapStore(region, store): Store {
      let victim: string | undefined;
      return {
        ...store,
        async applyRemote(change) {
          if (victim === undefined && change.originSeq === 1) victim = change.origin;
          if (change.origin === victim && change.originSeq === 1) return 'applied';
          return store.applyRemote(change);
        },
      };
    },
  };
  const result = await firstFailure(bugs, 20);
  const report = formatFailure(result);
  assert.match(report, new RegExp(`FAILED seed ${result.seed}`));
  assert.match(report, new RegExp(`replay: npm run sim -- --seed ${result.seed}`));
  assert.ok(
    result.violations.some((v) => v.startsWith('exactly-once:') || v.startsWith('convergence:')),
    report,
  );
});

/** A region whose collector purges with `vector` in place of the stable vector it was given. */
function purgingWith(vector: (store: Store) => Promise<Readonly<Record<string, number>>>): SimBugs {
  return {
    wrapStore: (_region, store): Store => ({
      ...store,
      purgeTombstones: async (_stable, options) => store.purgeTombstones(await vector(store), options),
    }),
  };
}

test('catches a purge of tombstones as soon as they are applied here, and the divergence it causes', async () => {
  const bugs = purgingWith((store) => store.appliedSeqs());
  const result = await firstFailure(bugs, 100);
  assert.ok(
    result.violations.some((v) => v.startsWith('purge:')),
    formatFailure(result),
  );
  // Later seeds show the harm itself: an older write arrives after the purge and brings the key back
  // in one region only.
  let diverged: SimResult | undefined;
  for (let seed = result.seed; seed <= 100 && diverged === undefined; seed++) {
    const r = await runSimulation({ seed, matrix, bugs });
    if (r.violations.some((v) => v.startsWith('convergence:'))) diverged = r;
  }
  assert.ok(diverged, 'no seed up to 100 diverged');
});

test('catches a purge by the watermark alone: every region has the tombstone, not every older write', async () => {
  // The log watermark (what every region has applied) ignores changes still in flight to this region;
  // see docs/INTERNALS.md. The truncated seqs are exactly that watermark.
  const result = await firstFailure(
    purgingWith((store) => store.truncatedSeqs()),
    400,
  );
  assert.ok(
    result.violations.some((v) => v.startsWith('purge:')),
    formatFailure(result),
  );
});

test('catches a replicator that does not merge received timestamps into the region clock', async () => {
  const bugs: SimBugs = {
    wrapRegionClock: (clock): RegionClock => ({ ...clock, receive: () => ({ ok: true }) }),
  };
  const result = await firstFailure(bugs, 200);
  assert.ok(
    result.violations.some((v) => v.startsWith('lost write:') || v.startsWith('convergence:')),
    formatFailure(result),
  );
});

test(
  'catches reads served from whatever a region has, whatever level the client asked for',
  { timeout: 120_000 },
  async () => {
    // Each checker must see it: stale strong reads, broken session guarantees, reads staler than asked.
    const bugs: SimBugs = { staleReads: true };
    const kinds = ['bounded staleness', 'linearizability', 'session guarantees'];
    const caught = new Map<string, number>();
    for (let seed = 1; seed <= 150 && caught.size < kinds.length; seed++) {
      const result = await runSimulation({ seed, matrix, bugs });
      for (const v of result.violations) {
        const kind = v.split(':')[0]!;
        if (kinds.includes(kind) && !caught.has(kind)) caught.set(kind, seed);
      }
    }
    assert.deepEqual([...caught.keys()].sort(), kinds, JSON.stringify([...caught]));
  },
);
