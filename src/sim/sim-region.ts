// One region in the simulator, running the real replication code: a memory store that survives crashes
// (acknowledged writes are durable), and per incarnation a notifier, region clock, source and replicator.

import { MeridianError } from '../core/errors.ts';
import type { JsonObject } from '../core/json.ts';
import type { MeridianConfig } from '../config/schema.ts';
import { createCoordinator, type Coordinator, type Forwarder } from '../region/coordinator.ts';
import { mergePolicyFor } from '../region/conflict-policies.ts';
import { createDocumentService } from '../region/documents.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import type { Precondition, Store } from '../store/store.ts';
import { loadRegionClock } from '../replication/highest-version.ts';
import type { MemoryTransport } from '../replication/memory-transport.ts';
import type { PeerStats } from '../replication/peer-stats.ts';
import type { RegionClock } from '../replication/region-clock.ts';
import type { ReplicationSource } from '../replication/replication-port.ts';
import { openRegionReplication, type RegionReplication } from '../replication/region-replication.ts';
import type { ReplicatorEvent } from '../replication/replicator-events.ts';
import type { Prng } from './prng.ts';
import { auditPurges, type Purge } from './purge-audit.ts';
import type { AckedWrite } from './sim-invariants.ts';
import type { PlannedWrite, RetentionPlan } from './sim-plan.ts';
import type { VirtualClock } from './virtual-clock.ts';

/** Deliberate bugs a test injects to show the checker catches them. */
export interface SimBugs {
  /** Wraps a region's durable store (e.g. one that loses an apply). */
  readonly wrapStore?: (region: string, store: Store) => Store;
  /** Wraps a region's clock (e.g. one that ignores received timestamps). */
  readonly wrapRegionClock?: (clock: RegionClock) => RegionClock;
  /** Serves every client read as an eventual one, here, ignoring its level and session token. */
  readonly staleReads?: boolean;
}

export interface SimRegionOptions {
  readonly name: string;
  readonly upstream: readonly string[];
  /** Every region of the run, this one included. */
  readonly regions: readonly string[];
  readonly retention: RetentionPlan | undefined;
  readonly clock: VirtualClock;
  readonly transport: MemoryTransport;
  readonly maxClockOffsetMs: number;
  readonly random: Prng;
  readonly collection: string;
  readonly trace: (line: string) => void;
  readonly bugs?: SimBugs;
  /** Told of every tombstone the region purges, with what it had applied then (see purge-audit.ts). */
  readonly onPurged?: (purge: Purge) => void;
  /** The deployment's config: the client collections' topologies and consistency settings. */
  readonly config: MeridianConfig;
  /** How this region forwards a request to another (over the simulated WAN). */
  readonly forwarder: Forwarder;
}

export type WriteOutcome =
  | { readonly kind: 'acked'; readonly write: AckedWrite }
  | { readonly kind: 'refused' | 'skipped'; readonly why: string };

export interface SimRegion {
  readonly name: string;
  readonly up: boolean;
  /** The region's durable store (survives crashes, replaced by a wipe). */
  readonly store: Store;
  /** Physical clock offset against virtual time. */
  skewMs: number;
  /** Writes are refused while set: draining before a wipe, or rebuilding after one. */
  holdWrites: boolean;
  /** Every upstream peer has opened a stream to this incarnation (what the rebuild gate waits for). */
  heardFromAllPeers(): boolean;
  source(): ReplicationSource | undefined;
  /** The current incarnation's coordinator (the documents API), undefined while down. */
  coordinator(): Coordinator | undefined;
  /** The region's physical clock. */
  physicalNow(): number;
  start(): Promise<void>;
  crash(): void;
  /** Crash and lose the store: the next start() begins empty. */
  wipe(): void;
  write(planned: PlannedWrite, n: number): Promise<WriteOutcome>;
  /** Replicator counters summed over every incarnation. */
  totals(): ReplicationTotals;
}

export interface ReplicationTotals {
  applied: number;
  duplicate: number;
  superseded: number;
  refused: number;
  gaps: number;
  connects: number;
  snapshotsInstalled: number;
  snapshotsSent: number;
  entriesTruncated: number;
  tombstonesPurged: number;
}

export function createSimRegion(options: SimRegionOptions): SimRegion {
  const { name, clock, transport, collection, trace } = options;
  const merge = mergePolicyFor(options.config);
  let durable = createMemoryStore({ merge });
  let running: RegionReplication | undefined;
  let coordinator: Coordinator | undefined;
  let starting = false;
  let incarnations = 0;
  let greeted = new Set<string>();
  const totals: ReplicationTotals = emptyTotals();
  const physicalNow = () => clock.now() + region.skewMs;

  function onEvent(event: ReplicatorEvent): void {
    switch (event.type) {
      case 'applied':
        trace(
          `${name} apply ${event.entry.origin}#${event.entry.originSeq} from ${event.peer}: ${event.result}`,
        );
        break;
      case 'refused':
        trace(
          `${name} refuse ${event.origin}#${event.originSeq} key ${event.key} from ${event.peer}: ${event.offsetMs} ms ahead`,
        );
        break;
      case 'connected':
        greeted.add(event.peer);
        trace(`${name} connected to ${event.peer} (head ${event.senderHead})`);
        break;
      case 'snapshot':
        totals.snapshotsInstalled++;
        trace(
          `${name} installed a snapshot of ${event.records} records from ${event.peer}: ${vector(event.applied)}`,
        );
        break;
      case 'snapshot-sent':
        totals.snapshotsSent++;
        trace(`${name} sent a snapshot to ${event.peer} (it lacked ${event.origins.join(', ')})`);
        break;
      case 'collected':
        totals.entriesTruncated += event.truncated;
        totals.tombstonesPurged += event.purged;
        if (event.truncated + event.purged > 0)
          trace(`${name} collected ${event.truncated} log entries, ${event.purged} tombstones`);
        break;
      case 'disconnected':
        trace(
          `${name} disconnected from ${event.peer}: ${event.reason.kind}${event.reason.kind === 'failed' ? ` (${event.reason.message})` : ''} retry ${event.retryInMs ?? '-'}`,
        );
        break;
    }
  }

  function retire(): void {
    if (running === undefined) return;
    const { replicator } = running;
    running = undefined;
    coordinator = undefined;
    for (const peer of replicator.stats().peers) addTotals(totals, peer);
    void replicator.stop();
    transport.breakStreams(name);
  }

  const region: SimRegion = {
    name,
    get up() {
      return running !== undefined;
    },
    get store() {
      return durable;
    },
    skewMs: 0,
    holdWrites: false,
    heardFromAllPeers: () => running !== undefined && options.upstream.every((peer) => greeted.has(peer)),
    source: () => running?.source,
    coordinator: () => coordinator,
    physicalNow,

    async start() {
      if (running !== undefined || starting) return;
      starting = true;
      const wrapped = options.bugs?.wrapStore?.(name, durable) ?? durable;
      const store = options.onPurged ? auditPurges(name, wrapped, options.onPurged) : wrapped;
      const regionClock = options.bugs?.wrapRegionClock
        ? options.bugs.wrapRegionClock(
            await loadRegionClock(store, {
              region: name,
              now: physicalNow,
              maxOffsetMs: options.maxClockOffsetMs,
            }),
          )
        : undefined;
      const jitter = options.random.fork(incarnations++);
      greeted = new Set();
      const replication = await openRegionReplication({
        region: name,
        store,
        transport,
        upstream: options.upstream,
        regions: options.regions,
        clock: { now: physicalNow, sleep: (ms, signal) => clock.sleep(ms, signal) },
        random: jitter.next.bind(jitter),
        maxClockOffsetMs: options.maxClockOffsetMs,
        regionClock,
        sourceTuning: { maxBatchEntries: 8, maxBatchBytes: 4096, lingerMs: 5, heartbeatMs: 1000 },
        replicatorTuning: { backoffInitialMs: 100, backoffMaxMs: 2000, idleTimeoutMs: 3000 },
        retentionTuning: options.retention ?? { gcIntervalMs: 0 },
        isCurrent: () => !region.holdWrites,
        onEvent,
      });
      running = replication;
      const held = () => {
        if (region.holdWrites) {
          throw new MeridianError('region_unavailable', `${name} is draining or rebuilding`);
        }
      };
      // The documents API as the region node wires it: the same document service and coordinator.
      const documents = createDocumentService({
        config: options.config,
        region: name,
        store: replication.store,
        nextVersion: () => replication.regionClock.tick(),
        checkWritable: held,
      });
      coordinator = createCoordinator({
        config: options.config,
        region: name,
        documents,
        consistency: replication.consistency,
        forwarder: options.forwarder,
        checkCurrent: held,
        now: physicalNow,
      });
      starting = false;
      replication.start();
      const at = replication.regionClock.current();
      trace(`${name} started (clock ${at.wall}.${at.counter})`);
    },

    crash() {
      retire();
      trace(`${name} crashed`);
    },

    wipe() {
      retire();
      durable = createMemoryStore({ merge });
      trace(`${name} wiped`);
    },

    async write(planned, n) {
      const live = running;
      if (live === undefined) return { kind: 'skipped', why: 'region down' };
      if (region.holdWrites) return { kind: 'skipped', why: 'writes held' };
      const { store, regionClock } = live;
      let precondition: Precondition = { kind: 'none' };
      if (planned.precondition === 'if-absent') precondition = { kind: 'absent' };
      if (planned.precondition === 'if-match') {
        const current = await store.get(collection, planned.key);
        precondition =
          current === undefined ? { kind: 'absent' } : { kind: 'version', version: current.version };
      }
      if (running !== live) return { kind: 'skipped', why: 'region crashed' };
      const value: JsonObject | null = planned.op === 'delete' ? null : { n, by: name };
      // Tick and write in one synchronous step, as the document service does (see RegionClock.tick).
      const result = await store.writeLocal(
        { collection, key: planned.key, value, version: regionClock.tick(), origin: name },
        precondition,
      );
      if (!result.ok) return { kind: 'refused', why: `precondition ${planned.precondition} failed` };
      const { entry } = result;
      return {
        kind: 'acked',
        write: {
          origin: name,
          originSeq: entry.originSeq,
          collection,
          key: entry.key,
          version: entry.version,
          value: entry.value,
        },
      };
    },

    totals() {
      const sum = { ...totals };
      for (const peer of running?.replicator.stats().peers ?? []) addTotals(sum, peer);
      return sum;
    },
  };
  return region;
}

export function emptyTotals(): ReplicationTotals {
  return {
    applied: 0,
    duplicate: 0,
    superseded: 0,
    refused: 0,
    gaps: 0,
    connects: 0,
    snapshotsInstalled: 0,
    snapshotsSent: 0,
    entriesTruncated: 0,
    tombstonesPurged: 0,
  };
}

function vector(v: Readonly<Record<string, number>>): string {
  return Object.entries(v)
    .map(([origin, seq]) => `${origin}#${seq}`)
    .join(' ');
}

function addTotals(totals: ReplicationTotals, peer: PeerStats): void {
  totals.applied += peer.applied;
  totals.duplicate += peer.duplicate;
  totals.superseded += peer.superseded;
  totals.refused += peer.refused;
  totals.gaps += peer.gaps;
  totals.connects += peer.connects;
}
