// One deterministic simulation run: regions running the real replicator over a simulated WAN in virtual
// time, faults and writes from the seed's plan, then a quiet period and the invariant check.

import type { LatencyMatrix } from '../core/latency-matrix.ts';
import { upstreamPeers } from '../core/topology.ts';
import { createMemoryTransport } from '../replication/memory-transport.ts';
import { settle } from './drive.ts';
import { createPrng } from './prng.ts';
import { checkCollected, checkInvariants, type AckedWrite } from './sim-invariants.ts';
import { checkedSource } from './checked-source.ts';
import { checkPurges, type Purge } from './purge-audit.ts';
import { createSimNetwork, type SimNetworkCounters } from './sim-network.ts';
import { describeFault, makePlan, type PlannedWrite, type SimFault, type SimPlan } from './sim-plan.ts';
import {
  createSimRegion,
  emptyTotals,
  type ReplicationTotals,
  type SimBugs,
  type SimRegion,
} from './sim-region.ts';
import { createSimTrace } from './sim-trace.ts';
import { createVirtualClock } from './virtual-clock.ts';

/** Virtual time starts at a realistic wall clock, so versions look like real ones. */
export const SIM_EPOCH = 1_750_000_000_000;
const COLLECTION = 'docs';
const CHECK_EVERY_MS = 500;
const WIPE_RETRY_MS = 250;
/** Once converged, a collecting run must have empty logs and no tombstones within this (virtual) time. */
const COLLECT_WITHIN_MS = 15_000;

export interface SimOptions {
  readonly seed: number;
  readonly matrix: LatencyMatrix;
  /** Keep the trace lines (to print them); the hash is computed either way. */
  readonly keepTrace?: boolean;
  readonly bugs?: SimBugs;
}

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly violations: readonly string[];
  readonly plan: SimPlan;
  readonly traceHash: string;
  readonly traceLines: number;
  readonly trace: readonly string[] | undefined;
  /** Virtual ms from the start until every invariant held (undefined if never). */
  readonly convergedAtMs: number | undefined;
  /** Virtual ms after the fault window until convergence. */
  readonly catchUpMs: number | undefined;
  /** Virtual ms from convergence until every log was empty and every tombstone purged (collecting runs). */
  readonly collectedAfterMs: number | undefined;
  readonly timersFired: number;
  readonly writes: { readonly acked: number; readonly refused: number; readonly skipped: number };
  /** Crashes and wipes as executed (a wipe waits for its region's writes to reach a peer, or is abandoned). */
  readonly lifecycle: { readonly crashes: number; readonly wipes: number; readonly wipesAbandoned: number };
  readonly network: Readonly<SimNetworkCounters>;
  readonly replication: ReplicationTotals;
}

export async function runSimulation(options: SimOptions): Promise<SimResult> {
  const { seed, matrix } = options;
  const plan = makePlan(seed, matrix.regions(), createPrng(seed, 0));
  const clock = createVirtualClock(SIM_EPOCH);
  const elapsed = () => clock.now() - SIM_EPOCH;
  const trace = createSimTrace(options.keepTrace ?? false);
  let tracing = true;
  const log = (line: string) => {
    if (tracing) trace.add(elapsed(), line);
  };
  const network = createSimNetwork({ plan: plan.network, matrix, random: createPrng(seed, 1), trace: log });
  const regions = new Map<string, SimRegion>();
  /** Broken promises the sources make as they stream (see checked-source.ts). */
  const streamViolations: string[] = [];
  const transport = createMemoryTransport({
    clock,
    network,
    sources(r) {
      const source = regions.get(r)?.source();
      return source && checkedSource(r, source, (v) => streamViolations.push(v));
    },
  });
  const upstream = upstreamPeers(plan.regions, plan.topology);
  const purges: Purge[] = [];
  const regionRandom = createPrng(seed, 2);
  for (const [i, name] of plan.regions.entries()) {
    const region = createSimRegion({
      name,
      upstream: upstream.get(name) ?? [],
      regions: plan.regions,
      retention: plan.retention,
      clock,
      transport,
      maxClockOffsetMs: plan.maxClockOffsetMs,
      random: regionRandom.fork(i),
      collection: COLLECTION,
      trace: log,
      bugs: options.bugs,
      onPurged: (purge) => purges.push(purge),
    });
    region.skewMs = plan.baseSkewMs[name] ?? 0;
    regions.set(name, region);
  }
  const region = (name: string) => regions.get(name)!;
  const windowEnd = SIM_EPOCH + plan.faultWindowMs;
  const acked: AckedWrite[] = [];
  const writes = { acked: 0, refused: 0, skipped: 0 };
  const lifecycle = { crashes: 0, wipes: 0, wipesAbandoned: 0 };
  const internalErrors: string[] = [];
  /** Regions rebuilt after a wipe that have not yet re-pulled all of their own writes. */
  const rebuilding = new Set<string>();

  function spawn(what: string, work: Promise<void>): void {
    void work.catch((err: unknown) => {
      internalErrors.push(
        `internal error in ${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    });
  }

  const ownWrites = (name: string) => acked.filter((w) => w.origin === name).length;

  async function write(planned: PlannedWrite, n: number): Promise<void> {
    const target = region(planned.region);
    if (rebuilding.has(target.name) && target.up) {
      // As the rebuild gate does: every peer has answered (and told us how far our clock had gone), and
      // our own writes are back, through the log or a snapshot.
      const applied = await target.store.appliedSeqs();
      if ((applied[target.name] ?? 0) >= ownWrites(target.name) && target.heardFromAllPeers()) {
        rebuilding.delete(target.name);
        target.holdWrites = false;
        log(`${target.name} has its own writes back: writes resume`);
      }
    }
    const outcome = await target.write(planned, n);
    const what = `write#${n} ${planned.region} ${planned.key} ${planned.op} ${planned.precondition}`;
    if (outcome.kind === 'acked') {
      acked.push(outcome.write);
      writes.acked++;
      log(`${what} -> ${outcome.write.version} (#${outcome.write.originSeq})`);
    } else {
      writes[outcome.kind]++;
      log(`${what} ${outcome.kind}: ${outcome.why}`);
    }
  }

  /** True once every write of `name` is applied in some other region's store. */
  async function replicatedElsewhere(name: string): Promise<boolean> {
    const mine = ownWrites(name);
    for (const other of regions.values()) {
      if (other.name !== name && ((await other.store.appliedSeqs())[name] ?? 0) >= mine) return true;
    }
    return mine === 0;
  }

  async function attemptWipe(fault: Extract<SimFault, { kind: 'wipe' }>): Promise<void> {
    const target = region(fault.region);
    if (clock.now() >= windowEnd) {
      target.holdWrites = false;
      lifecycle.wipesAbandoned++;
      log(`${target.name} wipe abandoned: its writes did not reach another region within the fault window`);
      return;
    }
    if (!target.up || !(await replicatedElsewhere(target.name))) {
      clock.at(clock.now() + WIPE_RETRY_MS, () => spawn('wipe', attemptWipe(fault)));
      return;
    }
    target.wipe();
    lifecycle.wipes++;
    rebuilding.add(target.name);
    const restartAt = Math.min(windowEnd, clock.now() + (fault.restartAt - fault.at));
    clock.at(restartAt, () => spawn('restart', target.start()));
  }

  function applyFault(fault: SimFault): void {
    log(`fault ${describeFault(fault)}`);
    switch (fault.kind) {
      case 'partition':
        network.partition(fault.a, fault.b);
        clock.at(SIM_EPOCH + fault.healAt, () => {
          network.heal(fault.a, fault.b);
          log(`heal ${fault.a} | ${fault.b}`);
        });
        break;
      case 'isolate': {
        const others = plan.regions.filter((r) => r !== fault.region);
        for (const other of others) network.partition(fault.region, other);
        clock.at(SIM_EPOCH + fault.healAt, () => {
          for (const other of others) network.heal(fault.region, other);
          log(`heal ${fault.region} (isolation)`);
        });
        break;
      }
      case 'reset':
        transport.breakStreams(fault.a, fault.b);
        break;
      case 'crash': {
        const target = region(fault.region);
        if (!target.up) break;
        target.crash();
        lifecycle.crashes++;
        clock.at(SIM_EPOCH + fault.restartAt, () => spawn('restart', target.start()));
        break;
      }
      case 'wipe':
        region(fault.region).holdWrites = true;
        spawn('wipe', attemptWipe(fault));
        break;
      case 'skew':
        region(fault.region).skewMs = fault.skewMs;
        clock.at(SIM_EPOCH + fault.healAt, () => {
          region(fault.region).skewMs = plan.baseSkewMs[fault.region] ?? 0;
          log(`heal ${fault.region} clock`);
        });
        break;
    }
  }

  function healAll(): void {
    log('fault window over: network calm, every region up, clocks fixed');
    network.calm();
    for (const r of regions.values()) {
      r.skewMs = plan.baseSkewMs[r.name] ?? 0;
      if (!rebuilding.has(r.name)) r.holdWrites = false;
      if (!r.up) spawn('restart', r.start());
    }
  }

  for (const r of regions.values()) await r.start();
  plan.writes.forEach((w, n) => clock.at(SIM_EPOCH + w.at, () => spawn('write', write(w, n))));
  for (const fault of plan.faults) clock.at(SIM_EPOCH + fault.at, () => applyFault(fault));
  clock.at(windowEnd, healAll);
  let checkDue = false;
  for (let at = windowEnd; at <= windowEnd + plan.quietMs; at += CHECK_EVERY_MS)
    clock.at(at, () => (checkDue = true));

  const check = () =>
    checkInvariants({ regions: [...regions.values()], acked, collection: COLLECTION, keys: plan.keys });
  const collected = () => checkCollected([...regions.values()]);
  const deadline = windowEnd + plan.quietMs;
  let timersFired = 0;
  let convergedAtMs: number | undefined;
  let collectedAfterMs: number | undefined;
  await settle();
  while (clock.fireNext(deadline)) {
    timersFired++;
    await settle();
    if (!checkDue) continue;
    checkDue = false;
    if (internalErrors.length > 0 || streamViolations.length > 0) break;
    if (convergedAtMs === undefined) {
      if ((await check()).length > 0) continue;
      convergedAtMs = elapsed();
      log('converged');
      if (plan.retention === undefined) break;
    }
    // A collecting run goes on until the logs are empty and the tombstones gone, or the time is up.
    if ((await collected()).length === 0) {
      collectedAfterMs = elapsed() - convergedAtMs;
      log('collected');
      break;
    }
    if (elapsed() - convergedAtMs >= COLLECT_WITHIN_MS) break;
  }
  const violations = [...internalErrors, ...streamViolations, ...checkPurges(purges, acked)];
  if (convergedAtMs === undefined) {
    violations.push(`not converged ${plan.quietMs} ms after the fault window:`, ...(await check()));
  } else {
    // Collecting must not have undone anything: the invariants still hold at the end.
    violations.push(...(await check()));
    if (plan.retention !== undefined && collectedAfterMs === undefined) {
      violations.push(`not collected ${COLLECT_WITHIN_MS} ms after converging:`, ...(await collected()));
    }
  }
  log(violations.length > 0 ? 'FAILED' : 'ok');
  const result: SimResult = {
    seed,
    ok: violations.length === 0,
    violations,
    plan,
    traceHash: trace.hash(),
    traceLines: trace.count,
    trace: trace.lines(),
    convergedAtMs,
    catchUpMs: convergedAtMs === undefined ? undefined : convergedAtMs - plan.faultWindowMs,
    collectedAfterMs,
    timersFired,
    writes,
    lifecycle,
    network: { ...network.counters },
    replication: sumTotals([...regions.values()].map((r) => r.totals())),
  };
  // Tear down without tracing: the trace ends with the verdict.
  tracing = false;
  for (const r of regions.values()) r.crash();
  await settle();
  return result;
}

function sumTotals(all: ReplicationTotals[]): ReplicationTotals {
  const sum = emptyTotals();
  for (const t of all) for (const k of Object.keys(sum) as (keyof ReplicationTotals)[]) sum[k] += t[k];
  return sum;
}
