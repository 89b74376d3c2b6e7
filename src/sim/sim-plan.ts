// What one simulation run does, decided entirely by its seed before it starts: regions and topology,
// clock skews, network fault rates, the fault schedule and the workload. Printed when a run fails.

import type { ReplicationTopology } from '../core/topology.ts';
import { describeClientPlan, makeClientPlan, type ClientPlan } from './client-plan.ts';
import type { Prng } from './prng.ts';

export type SimFault =
  /** Packets between a and b are black-holed until healAt. */
  | {
      readonly at: number;
      readonly kind: 'partition';
      readonly a: string;
      readonly b: string;
      readonly healAt: number;
    }
  /** `region` is cut off from every other region until healAt. */
  | { readonly at: number; readonly kind: 'isolate'; readonly region: string; readonly healAt: number }
  /** Every open stream between a and b is reset (a dropped connection). */
  | { readonly at: number; readonly kind: 'reset'; readonly a: string; readonly b: string }
  /** The region's process dies and restarts at restartAt: its store survives, its memory does not. */
  | { readonly at: number; readonly kind: 'crash'; readonly region: string; readonly restartAt: number }
  /**
   * The region is drained (no more writes), then, once its writes have reached another region, wiped and
   * rebuilt from scratch; it takes writes again only after re-pulling its own changes.
   */
  | { readonly at: number; readonly kind: 'wipe'; readonly region: string; readonly restartAt: number }
  /** The region's physical clock is off by skewMs until healAt. */
  | {
      readonly at: number;
      readonly kind: 'skew';
      readonly region: string;
      readonly skewMs: number;
      readonly healAt: number;
    };

export interface PlannedWrite {
  readonly at: number;
  readonly region: string;
  readonly key: string;
  readonly op: 'put' | 'delete';
  /** 'if-match': read the key, then write with If-Match on what was read (may be refused). */
  readonly precondition: 'none' | 'if-match' | 'if-absent';
}

export interface NetworkPlan {
  /** Per batch, while faults are on: probability of a connection break, a duplicate, a reorder. */
  readonly breakRate: number;
  readonly duplicateRate: number;
  readonly reorderRate: number;
  /** Whether a partitioned connect hangs (black hole) rather than being refused. */
  readonly partitionHangs: boolean;
}

/** Log and tombstone collection in a run (virtual time): off in some seeds, fast in the others. */
export interface RetentionPlan {
  readonly gcIntervalMs: number;
  readonly tombstoneGraceMs: number;
}

export interface SimPlan {
  readonly seed: number;
  readonly regions: readonly string[];
  readonly topology: ReplicationTopology;
  readonly maxClockOffsetMs: number;
  /** Each region's physical clock offset outside skew faults (pairwise within the max offset). */
  readonly baseSkewMs: Readonly<Record<string, number>>;
  /** Writes and faults happen in [0, faultWindowMs); at its end every fault is healed. */
  readonly faultWindowMs: number;
  /** How long after the fault window the regions have to converge. */
  readonly quietMs: number;
  readonly network: NetworkPlan;
  /** Undefined: logs and tombstones are never collected in this run. */
  readonly retention: RetentionPlan | undefined;
  readonly keys: readonly string[];
  readonly faults: readonly SimFault[];
  readonly writes: readonly PlannedWrite[];
  /** Client sessions through the coordinators (drawn from a stream of their own). */
  readonly clients: ClientPlan;
}

const MAX_CLOCK_OFFSET_MS = 250;
const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];

export function makePlan(seed: number, available: readonly string[], random: Prng): SimPlan {
  const regions = pickDistinct(random, available, random.int(3, 5));
  const topology: ReplicationTopology = random.chance(0.3)
    ? { kind: 'hub', hub: random.pick(regions) }
    : { kind: 'mesh' };
  const baseSkewMs = Object.fromEntries(
    regions.map((r) => [r, Math.round(random.between(-0.4, 0.4) * MAX_CLOCK_OFFSET_MS)]),
  );
  const faultWindowMs = random.int(4000, 10_000);
  const network: NetworkPlan = {
    breakRate: random.pick([0, 0.01, 0.04]),
    duplicateRate: random.pick([0, 0.03, 0.1]),
    reorderRate: random.pick([0, 0.03, 0.1]),
    partitionHangs: random.chance(0.5),
  };
  const faults = makeFaults(random, regions, faultWindowMs);
  const writes: PlannedWrite[] = Array.from({ length: random.int(10, 80) }, () => ({
    at: random.int(0, faultWindowMs - 1),
    region: random.pick(regions),
    key: random.pick(KEYS),
    op: random.chance(0.2) ? ('delete' as const) : ('put' as const),
    precondition: random.pick([
      'none',
      'none',
      'none',
      'none',
      'none',
      'none',
      'if-match',
      'if-absent',
    ] as const),
  }));
  writes.sort((a, b) => a.at - b.at);
  // Drawn last, so that adding collection left the rest of each seed's plan as it was.
  const retention: RetentionPlan | undefined = random.chance(0.75)
    ? { gcIntervalMs: random.pick([200, 500, 1500]), tombstoneGraceMs: random.pick([0, 0, 300, 2000]) }
    : undefined;
  const clients = makeClientPlan(random.fork(77), regions, faultWindowMs);
  return {
    seed,
    clients,
    regions,
    topology,
    maxClockOffsetMs: MAX_CLOCK_OFFSET_MS,
    baseSkewMs,
    faultWindowMs,
    quietMs: 60_000,
    network,
    retention,
    keys: KEYS,
    faults,
    writes,
  };
}

function makeFaults(random: Prng, regions: readonly string[], window: number): SimFault[] {
  const faults: SimFault[] = [];
  // Crashes and wipes of one region do not overlap, and a run wipes at most one region: a second wipe
  // could destroy the only other copy of the first region's writes, which no replication can survive.
  const downUntil = new Map<string, number>();
  let wiped = false;
  for (let i = random.int(0, 7); i > 0; i--) {
    const at = random.int(0, window - 500);
    const until = Math.min(window, at + random.int(200, 3500));
    const [a, b] = pickDistinct(random, regions, 2) as [string, string];
    const kind = random.pick([
      'partition',
      'partition',
      'isolate',
      'reset',
      'reset',
      'crash',
      'crash',
      'wipe',
      'skew',
      'skew',
    ] as const);
    switch (kind) {
      case 'partition':
        faults.push({ at, kind, a, b, healAt: until });
        break;
      case 'isolate':
        faults.push({ at, kind, region: a, healAt: until });
        break;
      case 'reset':
        faults.push({ at, kind, a, b });
        break;
      case 'crash':
      case 'wipe':
        if ((downUntil.get(a) ?? -1) >= at || (kind === 'wipe' && wiped)) break;
        downUntil.set(a, until + (kind === 'wipe' ? window : 0));
        wiped ||= kind === 'wipe';
        faults.push({ at, kind, region: a, restartAt: until });
        break;
      case 'skew': {
        // Within the max offset half the time; otherwise 1.2x to 4x beyond it, ahead or behind.
        const factor = random.chance(0.5) ? random.between(0, 0.5) : random.between(1.2, 4);
        const skewMs = Math.round(factor * MAX_CLOCK_OFFSET_MS) * (random.chance(0.5) ? 1 : -1);
        faults.push({ at, kind, region: a, skewMs, healAt: until });
        break;
      }
    }
  }
  return faults.sort((x, y) => x.at - y.at);
}

function pickDistinct(random: Prng, items: readonly string[], n: number): string[] {
  const pool = [...items];
  const out: string[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(random.int(0, pool.length - 1), 1)[0]!);
  return out;
}

/** The plan as readable lines, for a failure report. */
export function describePlan(plan: SimPlan): string[] {
  const topology = plan.topology.kind === 'hub' ? `hub ${plan.topology.hub}` : 'mesh';
  const n = plan.network;
  const lines = [
    `regions: ${plan.regions.join(', ')} (${topology}); max clock offset ${plan.maxClockOffsetMs} ms`,
    `base skew: ${plan.regions.map((r) => `${r} ${plan.baseSkewMs[r]} ms`).join(', ')}`,
    `fault window ${plan.faultWindowMs} ms, then up to ${plan.quietMs} ms quiet; ${plan.writes.length} writes on ${plan.keys.length} keys`,
    `network while faulty: break ${n.breakRate}, duplicate ${n.duplicateRate}, reorder ${n.reorderRate} per batch; ` +
      `partitioned connects ${n.partitionHangs ? 'hang' : 'are refused'}`,
    plan.retention === undefined
      ? 'no log or tombstone collection'
      : `collection every ${plan.retention.gcIntervalMs} ms, tombstone grace ${plan.retention.tombstoneGraceMs} ms`,
    `faults (${plan.faults.length}):`,
  ];
  for (const f of plan.faults) lines.push(`  ${describeFault(f)}`);
  lines.push(...describeClientPlan(plan.clients));
  return lines;
}

export function describeFault(f: SimFault): string {
  switch (f.kind) {
    case 'partition':
      return `t=${f.at} partition ${f.a} | ${f.b} until ${f.healAt}`;
    case 'isolate':
      return `t=${f.at} isolate ${f.region} until ${f.healAt}`;
    case 'reset':
      return `t=${f.at} reset streams ${f.a} <-> ${f.b}`;
    case 'crash':
      return `t=${f.at} crash ${f.region}, restart at ${f.restartAt}`;
    case 'wipe':
      return `t=${f.at} drain and wipe ${f.region}, rebuild ${f.restartAt - f.at} ms later`;
    case 'skew':
      return `t=${f.at} skew ${f.region} by ${f.skewMs} ms until ${f.healAt}`;
  }
}
