// Text for people: a failed run (seed, plan, violations, how to replay it) and a summary over many.

import { describePlan } from './sim-plan.ts';
import type { SimResult } from './simulate.ts';

export function formatFailure(result: SimResult, traceTail: readonly string[] = []): string {
  const lines = [
    `FAILED seed ${result.seed} (trace ${result.traceHash.slice(0, 16)})`,
    ...describePlan(result.plan).map((l) => `  ${l}`),
  ];
  lines.push('  violations:');
  for (const v of result.violations.slice(0, 25)) lines.push(`    ${v}`);
  if (result.violations.length > 25) lines.push(`    ... and ${result.violations.length - 25} more`);
  if (traceTail.length > 0) {
    lines.push(`  last ${traceTail.length} of ${result.traceLines} trace lines (virtual ms, event):`);
    for (const t of traceTail) lines.push(`    ${t}`);
  }
  lines.push(`  replay: npm run sim -- --seed ${result.seed} --trace`);
  return lines.join('\n');
}

/** Totals over many runs, for the summary line and for seeing that faults actually happened. */
export class SimTally {
  runs = 0;
  failed: number[] = [];
  readonly totals = new Map<string, number>();
  /** Seeds in which each thing happened at least once. */
  readonly seedsWith = new Map<string, number>();
  readonly catchUpMs: number[] = [];
  readonly collectedAfterMs: number[] = [];

  add(result: SimResult): void {
    this.runs++;
    if (!result.ok) this.failed.push(result.seed);
    if (result.catchUpMs !== undefined) this.catchUpMs.push(result.catchUpMs);
    if (result.collectedAfterMs !== undefined) this.collectedAfterMs.push(result.collectedAfterMs);
    const counts: Record<string, number> = {
      'writes acked': result.writes.acked,
      'writes refused (precondition)': result.writes.refused,
      'writes skipped (region down or held)': result.writes.skipped,
      'batches sent': result.network.batches,
      'connections broken': result.network.breaks,
      'batches duplicated': result.network.duplicates,
      'batches reordered': result.network.reorders,
      'streams stalled (partition)': result.network.stalls,
      'connects hung (partition)': result.network.hangs,
      'connects refused': result.network.refused,
      'changes applied': result.replication.applied + result.replication.superseded,
      'duplicates ignored': result.replication.duplicate,
      'clock refusals': result.replication.refused,
      'gaps (reordered batch)': result.replication.gaps,
      'hub topology': result.plan.topology.kind === 'hub' ? 1 : 0,
      'regions crashed and restarted': result.lifecycle.crashes,
      'regions wiped and rebuilt from peers': result.lifecycle.wipes,
      'wipes abandoned (writes not yet on a peer)': result.lifecycle.wipesAbandoned,
      'log and tombstone collection on': result.plan.retention === undefined ? 0 : 1,
      'log entries truncated': result.replication.entriesTruncated,
      'tombstones purged': result.replication.tombstonesPurged,
      'snapshots sent': result.replication.snapshotsSent,
      'snapshots installed': result.replication.snapshotsInstalled,
    };
    // Crashes and wipes are counted as executed (above), not as planned.
    for (const fault of result.plan.faults) {
      if (fault.kind === 'crash' || fault.kind === 'wipe') continue;
      counts[`fault: ${fault.kind}`] = (counts[`fault: ${fault.kind}`] ?? 0) + 1;
    }
    for (const [name, n] of Object.entries(counts)) {
      this.totals.set(name, (this.totals.get(name) ?? 0) + n);
      if (n > 0) this.seedsWith.set(name, (this.seedsWith.get(name) ?? 0) + 1);
    }
  }

  format(realMs: number): string {
    const spread = (values: readonly number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
      return `p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${sorted.at(-1) ?? 0} ms (virtual time)`;
    };
    const lines = [
      `${this.runs} seeds, ${this.failed.length} failed${this.failed.length > 0 ? `: ${this.failed.slice(0, 20).join(', ')}` : ''}`,
      `real time ${(realMs / 1000).toFixed(1)} s (${(realMs / Math.max(1, this.runs)).toFixed(1)} ms per seed)`,
      `converged after the fault window: ${spread(this.catchUpMs)}`,
      `logs empty and tombstones purged after converging: ${spread(this.collectedAfterMs)}`,
      'what happened (total, seeds where it happened):',
    ];
    for (const [name, total] of this.totals)
      lines.push(`  ${name}: ${total} (${this.seedsWith.get(name) ?? 0} seeds)`);
    return lines.join('\n');
  }
}
