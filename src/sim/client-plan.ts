// The client workload of a simulation run, drawn from its own stream of the seed: a few sequential
// sessions, each reading and writing through the regions' coordinators at every consistency level, on
// a single-writer collection (forwarded writes, sync replication, strong reads) and an active-active
// one (session and bounded reads).

import type { Consistency } from '../core/placement.ts';
import type { Prng } from './prng.ts';

export const OWNED = 'owned';
export const SHARED = 'shared';
export const CLIENT_KEYS = ['c0', 'c1', 'c2'];
/** Collections of the other conflict policies, written concurrently from every region. */
export const POLICY_COLLECTIONS = { vector: 'vec', crdt: 'cnt', resolver: 'res', yjs: 'ydoc' } as const;
export const POLICY_KEYS = ['p0', 'p1'];

/** A write to a policy collection: a read-modify-write at `region` (blind half the time for vector). */
export interface PlannedPolicyOp {
  readonly at: number;
  readonly region: string;
  readonly policy: keyof typeof POLICY_COLLECTIONS;
  readonly key: string;
  /** vector: write without the context of a read first. */
  readonly blind: boolean;
}

export interface PlannedClientOp {
  /** Pause before the op, after the session's previous op completed. */
  readonly thinkMs: number;
  readonly region: string;
  readonly collection: typeof OWNED | typeof SHARED;
  readonly key: string;
  readonly kind: 'put' | 'delete' | 'get';
  readonly consistency: Consistency;
  readonly maxStalenessMs?: number;
}

export interface PlannedSession {
  readonly name: string;
  readonly startAt: number;
  readonly ops: readonly PlannedClientOp[];
}

export interface ClientPlan {
  /** The single-writer collection: its primary and replication. */
  readonly owned: {
    readonly primary: string;
    readonly mode: 'sync' | 'async';
    readonly ack: 'all' | 'majority' | number;
    readonly timeoutMs: number;
  };
  readonly sessionWaitMs: number;
  readonly sessions: readonly PlannedSession[];
  readonly policyOps: readonly PlannedPolicyOp[];
}

export function makeClientPlan(random: Prng, regions: readonly string[], windowMs: number): ClientPlan {
  const owned = {
    primary: random.pick(regions),
    mode: random.chance(0.6) ? ('sync' as const) : ('async' as const),
    ack: random.pick(['all', 'majority', 'majority', 2] as const),
    timeoutMs: random.pick([300, 1000, 2000]),
  };
  const sessions = Array.from({ length: random.int(2, 4) }, (_, i): PlannedSession => {
    const home = random.pick(regions);
    const ops = Array.from({ length: random.int(5, 25) }, (): PlannedClientOp => {
      const collection = random.chance(0.5) ? OWNED : SHARED;
      const kind = random.pick(['get', 'get', 'get', 'put', 'put', 'delete'] as const);
      const levels: readonly Consistency[] =
        kind !== 'get'
          ? ['session', 'session', 'eventual']
          : collection === OWNED
            ? ['strong', 'strong', 'session', 'session', 'bounded', 'eventual']
            : ['session', 'session', 'bounded', 'bounded', 'eventual'];
      const consistency = random.pick(levels);
      return {
        thinkMs: random.int(0, 400),
        region: random.chance(0.6) ? home : random.pick(regions),
        collection,
        key: random.pick(CLIENT_KEYS),
        kind,
        consistency,
        ...(consistency === 'bounded' ? { maxStalenessMs: random.pick([300, 1500, 3000]) } : {}),
      };
    });
    return { name: `s${i}`, startAt: random.int(0, Math.max(0, windowMs - 1000)), ops };
  });
  // Drawn from a stream of their own, so the sessions above are what they were before.
  const more = random.fork(1);
  const policyOps = Array.from({ length: more.int(5, 40) }, (): PlannedPolicyOp => ({
    at: more.int(0, windowMs - 1),
    region: more.pick(regions),
    policy: more.pick(['vector', 'crdt', 'resolver', 'yjs'] as const),
    key: more.pick(POLICY_KEYS),
    blind: more.chance(0.5),
  })).sort((a, b) => a.at - b.at);
  return { owned, sessionWaitMs: random.pick([200, 1000]), sessions, policyOps };
}

export function describeClientPlan(plan: ClientPlan): string[] {
  const o = plan.owned;
  return [
    `clients: '${OWNED}' single-writer on ${o.primary}, ${o.mode}${o.mode === 'sync' ? ` ack ${String(o.ack)} within ${o.timeoutMs} ms` : ''}; '${SHARED}' active-active; session wait ${plan.sessionWaitMs} ms`,
    `  ${plan.policyOps.length} writes to ${Object.values(POLICY_COLLECTIONS).join(', ')} (vector, crdt counter, resolver, yjs)`,
    ...plan.sessions.map(
      (s) =>
        `  session ${s.name} from t=${s.startAt}: ${s.ops.map((op) => `${op.kind} ${op.collection}/${op.key}@${op.region} ${op.consistency}`).join(', ')}`,
    ),
  ];
}
