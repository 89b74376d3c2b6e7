// One deterministic simulation run: regions running the real replicator over a simulated WAN in virtual
// time, faults and writes from the seed's plan, then a quiet period and the invariant check.

import type { LatencyMatrix } from '../core/latency-matrix.ts';
import { upstreamPeers } from '../core/topology.ts';
import { createMemoryTransport } from '../replication/memory-transport.ts';
import { settle } from './drive.ts';
import { createPrng } from './prng.ts';
import { MeridianError } from '../core/errors.ts';
import { compareVersions } from '../core/version.ts';
import type { JsonObject } from '../core/json.ts';
import { resolveConfig } from '../config/resolve-config.ts';
import type { MeridianConfig } from '../config/schema.ts';
import type { DocRequest, Forwarder } from '../region/coordinator.ts';
import { checkLinearizable } from './checkers/linearizability.ts';
import { checkSessionGuarantees } from './checkers/session-guarantees.ts';
import { checkStaleness } from './checkers/staleness.ts';
import * as Y from 'yjs';
import { CLIENT_KEYS, OWNED, POLICY_COLLECTIONS, SHARED, type PlannedPolicyOp } from './client-plan.ts';
import { checkMerged } from './merged-invariants.ts';
import { createSimClients, type SimServed } from './sim-client.ts';
import { checkCollected, checkDocuments, checkInvariants, type AckedWrite } from './sim-invariants.ts';
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
  /** Client operations by outcome. */
  readonly clients: { readonly ok: number; readonly failed: number; readonly unknown: number };
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
  const config = clientConfig(plan);
  const hops = createPrng(seed, 4);
  /** A request's trip from one region to another: half the RTT, plus up to 10 % jitter. */
  const oneWayMs = (a: string, b: string) => ((matrix.rttMs(a, b) ?? 100) / 2) * (1 + 0.1 * hops.next());
  function forwarderFor(from: string): Forwarder {
    return {
      async forward(to, request) {
        const writing = request.op !== 'get' && request.op !== 'list';
        if (network.isCut(from, to)) {
          await clock.sleep(1000);
          throw new MeridianError('region_unavailable', `${to} is unreachable from ${from}`);
        }
        await clock.sleep(oneWayMs(from, to));
        if (network.isCut(from, to)) {
          await clock.sleep(1000);
          throw new MeridianError('region_unavailable', `the request to ${to} was lost`);
        }
        let served: SimServed | undefined;
        let failure: unknown;
        try {
          served = await invoke(to, request);
        } catch (err) {
          failure = err;
        }
        await clock.sleep(oneWayMs(to, from));
        if (network.isCut(from, to)) {
          throw writing
            ? new MeridianError('outcome_unknown', `the answer from ${to} was lost`)
            : new MeridianError('region_unavailable', `the answer from ${to} was lost`);
        }
        if (served === undefined) throw failure;
        return served;
      },
    };
  }
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
      config,
      forwarder: forwarderFor(name),
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

  /**
   * How many changes a region made: what its store applied of its own. (The acknowledged list can lag:
   * a sync write is in the store before its acknowledgements are in.) A wiped region's count is kept
   * from before the wipe, to know when its rebuild has them all back.
   */
  const madeBeforeWipe = new Map<string, number>();
  const ownWrites = async (name: string) =>
    madeBeforeWipe.get(name) ?? (await region(name).store.appliedSeqs())[name] ?? 0;

  /** A rebuilt region takes writes again once it has its own back. */
  async function releaseIfRebuilt(target: SimRegion): Promise<void> {
    if (rebuilding.has(target.name) && target.up) {
      // As the rebuild gate does: every peer has answered (and told us how far our clock had gone), and
      // our own writes are back, through the log or a snapshot.
      const applied = await target.store.appliedSeqs();
      if ((applied[target.name] ?? 0) >= (await ownWrites(target.name)) && target.heardFromAllPeers()) {
        madeBeforeWipe.delete(target.name);
        rebuilding.delete(target.name);
        target.holdWrites = false;
        log(`${target.name} has its own writes back: writes resume`);
      }
    }
  }

  async function write(planned: PlannedWrite, n: number): Promise<void> {
    const target = region(planned.region);
    await releaseIfRebuilt(target);
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

  function purgedVersion(collection: string, key: string): string | undefined {
    let newest: string | undefined;
    for (const { tombstone } of purges) {
      if (tombstone.collection !== collection || tombstone.key !== key) continue;
      if (newest === undefined || compareVersions(tombstone.version, newest) > 0) newest = tombstone.version;
    }
    return newest;
  }
  /** Client requests being served, per region. */
  const inFlight = new Map<string, number>();
  /** Serves a client request at a region; a write it applied joins the acknowledged writes. */
  async function invoke(name: string, asked: DocRequest): Promise<SimServed> {
    const target = region(name);
    const request: DocRequest =
      options.bugs?.staleReads && asked.op === 'get'
        ? { ...asked, consistency: 'eventual', session: {} }
        : asked;
    await releaseIfRebuilt(target);
    const coordinator = target.coordinator();
    if (coordinator === undefined) throw new MeridianError('region_unavailable', `${name} is down`);
    inFlight.set(name, (inFlight.get(name) ?? 0) + 1);
    let served: SimServed;
    try {
      served = await coordinator.handle(request);
    } finally {
      inFlight.set(name, inFlight.get(name)! - 1);
    }
    if (served.forwardedTo !== undefined) return served;
    const { reply } = served;
    if (
      reply.kind === 'error' &&
      reply.error.code === 'not_found' &&
      reply.error.details.version === undefined
    ) {
      // Nothing here: the newest tombstone any region purged for the key is what this region reflects
      // (a purged tombstone was applied everywhere first). Without it, a read after a delete would look
      // older than the delete.
      const version = purgedVersion(request.collection, request.key!);
      if (version !== undefined) {
        const error = new MeridianError('not_found', reply.error.message, {
          details: { ...reply.error.details, version },
        });
        return { ...served, reply: { kind: 'error', error }, servedAtMs: target.physicalNow() };
      }
    }
    const unknown = reply.kind === 'error' && reply.error.code === 'outcome_unknown';
    if (reply.kind === 'written' && request.op === 'ops') {
      const id = `${request.collection}/${request.key!}`;
      increments.set(id, (increments.get(id) ?? 0) + 1);
    }
    if (reply.kind === 'written' || unknown) {
      const version = reply.kind === 'written' ? reply.version : String(reply.error.details.version);
      acked.push({
        origin: name,
        originSeq: served.session[name]!,
        collection: request.collection,
        key: request.key!,
        version,
        value: request.op === 'put' ? (request.body as JsonObject) : null,
      });
    }
    return { ...served, servedAtMs: target.physicalNow() };
  }
  /** Increments of each counter that some region applied (whatever its client heard). */
  const increments = new Map<string, number>();
  async function policyWrite(op: PlannedPolicyOp, n: number): Promise<void> {
    try {
      await policyWriteNow(op, n);
    } catch (err) {
      log(`policy write #${n} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  async function policyWriteNow(op: PlannedPolicyOp, n: number): Promise<void> {
    const collection = POLICY_COLLECTIONS[op.policy];
    const base = { collection, key: op.key, session: {} };
    let request: DocRequest;
    switch (op.policy) {
      case 'vector': {
        let context: string | undefined;
        if (!op.blind) {
          const read = await invoke(op.region, { ...base, op: 'get' });
          const r = read.reply;
          context =
            r.kind === 'doc'
              ? r.context
              : r.kind === 'error'
                ? (r.error.details.context as string | undefined)
                : undefined;
        }
        request = { ...base, op: 'put', body: { n }, ...(context === undefined ? {} : { context }) };
        break;
      }
      case 'crdt':
        request = { ...base, op: 'ops', body: { ops: [{ op: 'increment', path: ['count'] }] } };
        break;
      case 'resolver':
        request = { ...base, op: 'put', body: { items: [`w${n}`] } };
        break;
      case 'yjs': {
        // A client with a fixed id, so the run replays exactly.
        const author = new Y.Doc();
        author.clientID = n + 1;
        author.getText('text').insert(0, `w${n} `);
        request = { ...base, op: 'yjs', body: Y.encodeStateAsUpdate(author) };
        break;
      }
    }
    try {
      const served = await invoke(op.region, request);
      log(`policy write #${n} ${collection}/${op.key}@${op.region}: ${served.reply.kind}`);
    } catch (err) {
      log(
        `policy write #${n} ${collection}/${op.key}@${op.region} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  const clients = createSimClients({
    plan: plan.clients,
    clock,
    epoch: SIM_EPOCH,
    invoke,
    trace: log,
    spawn,
  });

  /** True once every write of `name` is applied in some other region's store. */
  async function replicatedElsewhere(name: string): Promise<boolean> {
    const mine = await ownWrites(name);
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
    // A drain waits for the requests in flight too: a write admitted just before it still commits.
    if (!target.up || (inFlight.get(target.name) ?? 0) > 0 || !(await replicatedElsewhere(target.name))) {
      clock.at(clock.now() + WIPE_RETRY_MS, () => spawn('wipe', attemptWipe(fault)));
      return;
    }
    madeBeforeWipe.set(target.name, await ownWrites(target.name));
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
  clients.start();
  plan.clients.policyOps.forEach((op, n) =>
    clock.at(SIM_EPOCH + op.at, () => spawn('policy write', policyWrite(op, n))),
  );
  for (const fault of plan.faults) clock.at(SIM_EPOCH + fault.at, () => applyFault(fault));
  clock.at(windowEnd, healAll);
  let checkDue = false;
  for (let at = windowEnd; at <= windowEnd + plan.quietMs; at += CHECK_EVERY_MS)
    clock.at(at, () => (checkDue = true));

  const check = async () => {
    const all = [...regions.values()];
    return [
      ...(await checkInvariants({ regions: all, acked, collection: COLLECTION, keys: plan.keys })),
      ...(await checkDocuments({ regions: all, acked, collection: OWNED, keys: CLIENT_KEYS })),
      ...(await checkDocuments({ regions: all, acked, collection: SHARED, keys: CLIENT_KEYS })),
      ...(await checkMerged(all, increments)),
    ];
  };
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
  const violations = [
    ...internalErrors,
    ...streamViolations,
    ...checkPurges(purges, acked),
    ...checkLinearizable(clients.history.filter((op) => op.key.startsWith(`${OWNED}/`))),
    ...checkSessionGuarantees(clients.history),
    ...checkStaleness(clients.history),
  ];
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
    clients: { ...clients.counts },
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

/** The deployment the client sessions talk to: the plan's regions and its two client collections. */
function clientConfig(plan: SimPlan): MeridianConfig {
  const { owned, sessionWaitMs } = plan.clients;
  const consistency = { sessionWait: sessionWaitMs };
  return resolveConfig({
    regions: plan.regions.map((name) => ({ name })),
    collections: {
      [COLLECTION]: {},
      [OWNED]: {
        topology: 'single-writer',
        primary: owned.primary,
        replication: { mode: owned.mode, ack: owned.ack, timeout: owned.timeoutMs },
        consistency,
      },
      [SHARED]: { consistency },
      [POLICY_COLLECTIONS.vector]: { conflict: 'vector' },
      [POLICY_COLLECTIONS.crdt]: { conflict: 'crdt' },
      [POLICY_COLLECTIONS.resolver]: { conflict: { resolve: unionOfItems } },
      [POLICY_COLLECTIONS.yjs]: { conflict: 'yjs' },
    },
  });
}

/** The resolver the simulator's resolver collection uses: the union of two documents' items, sorted. */
function unionOfItems(a: JsonObject, b: JsonObject): JsonObject {
  const items = (d: JsonObject) => (Array.isArray(d['items']) ? (d['items'] as string[]) : []);
  return { items: [...new Set([...items(a), ...items(b)])].sort() };
}

function sumTotals(all: ReplicationTotals[]): ReplicationTotals {
  const sum = emptyTotals();
  for (const t of all) for (const k of Object.keys(sum) as (keyof ReplicationTotals)[]) sum[k] += t[k];
  return sum;
}
