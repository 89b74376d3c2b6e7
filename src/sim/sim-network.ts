// The simulated WAN: one-way delay is half the measured RTT between the two regions plus jitter; while
// the fault window is open, batches are broken, duplicated or reordered at the plan's rates; partitions
// black-hole a link until healed.

import type { LatencyMatrix } from '../core/latency-matrix.ts';
import type { BatchFate, ConnectFate, MemoryNetwork } from '../replication/memory-network.ts';
import type { ReplicationBatch } from '../replication/replication-port.ts';
import type { Prng } from './prng.ts';
import type { NetworkPlan } from './sim-plan.ts';

export interface SimNetworkCounters {
  connects: number;
  refused: number;
  hangs: number;
  batches: number;
  breaks: number;
  duplicates: number;
  reorders: number;
  stalls: number;
}

export interface SimNetwork extends MemoryNetwork {
  /** Cuts the link between a and b (partitions nest: each partition needs its heal). */
  partition(a: string, b: string): void;
  heal(a: string, b: string): void;
  /** Whether the link between a and b is cut now. */
  isCut(a: string, b: string): boolean;
  /** Ends the fault window: from now on batches are only delayed. */
  calm(): void;
  readonly counters: Readonly<SimNetworkCounters>;
}

export interface SimNetworkOptions {
  readonly plan: NetworkPlan;
  readonly matrix: LatencyMatrix;
  readonly random: Prng;
  /** Records a decision in the run's trace. */
  readonly trace: (line: string) => void;
  /** RTT for a pair the matrix does not measure. */
  readonly defaultRttMs?: number;
}

/** How long a refused connect takes to fail (a connect timeout or a reset). */
const REFUSE_AFTER_MS = 1000;
const JITTER_FRACTION = 0.1;

export function createSimNetwork(options: SimNetworkOptions): SimNetwork {
  const { plan, matrix, random, trace } = options;
  const cuts = new Map<string, number>();
  const counters: SimNetworkCounters = {
    connects: 0,
    refused: 0,
    hangs: 0,
    batches: 0,
    breaks: 0,
    duplicates: 0,
    reorders: 0,
    stalls: 0,
  };
  let faulty = true;

  const pair = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);
  const cut = (a: string, b: string) => (cuts.get(pair(a, b)) ?? 0) > 0;
  function oneWayMs(a: string, b: string): number {
    const half = (matrix.rttMs(a, b) ?? options.defaultRttMs ?? 100) / 2;
    return Math.round((half + random.next() * half * JITTER_FRACTION) * 1000) / 1000;
  }

  function batchFate(puller: string, peer: string): BatchFate {
    if (cut(puller, peer)) return { kind: 'stall' };
    const delayMs = oneWayMs(peer, puller);
    if (!faulty) return { kind: 'deliver', delayMs };
    const r = random.next();
    if (r < plan.breakRate) return { kind: 'break', delayMs };
    if (r < plan.breakRate + plan.duplicateRate)
      return { kind: 'duplicate', delayMs, againMs: delayMs + random.next() * 2 * delayMs };
    if (r < plan.breakRate + plan.duplicateRate + plan.reorderRate)
      return { kind: 'reorder', delayMs: random.next() * 3 * delayMs };
    return { kind: 'deliver', delayMs };
  }

  return {
    connect(puller, peer): ConnectFate {
      let fate: ConnectFate;
      if (!cut(puller, peer)) {
        counters.connects++;
        fate = { kind: 'connect', delayMs: oneWayMs(puller, peer) };
      } else if (plan.partitionHangs) {
        counters.hangs++;
        fate = { kind: 'hang' };
      } else {
        counters.refused++;
        fate = { kind: 'refuse', delayMs: REFUSE_AFTER_MS };
      }
      trace(`net connect ${puller}<-${peer} ${fate.kind}${'delayMs' in fate ? ` ${fate.delayMs}` : ''}`);
      return fate;
    },
    batch(puller, peer, batch: ReplicationBatch): BatchFate {
      const fate = batchFate(puller, peer);
      counters.batches++;
      if (fate.kind === 'break') counters.breaks++;
      else if (fate.kind === 'duplicate') counters.duplicates++;
      else if (fate.kind === 'reorder') counters.reorders++;
      else if (fate.kind === 'stall') counters.stalls++;
      const span =
        batch.entries.length === 0 ? '-' : `${batch.entries[0]!.position}..${batch.entries.at(-1)!.position}`;
      trace(
        `net batch ${puller}<-${peer} [${span}] ${fate.kind}${'delayMs' in fate ? ` ${fate.delayMs.toFixed(3)}` : ''}`,
      );
      return fate;
    },
    partition(a, b) {
      cuts.set(pair(a, b), (cuts.get(pair(a, b)) ?? 0) + 1);
    },
    isCut: cut,
    heal(a, b) {
      cuts.set(pair(a, b), Math.max(0, (cuts.get(pair(a, b)) ?? 0) - 1));
    },
    calm() {
      faulty = false;
    },
    counters,
  };
}
