// Runs the planned client sessions against the regions, as applications would over HTTP: each session
// is sequential, carries its session positions from answer to request (its token), and every operation
// lands in the history the consistency checkers read, with its true invoke and completion times.

import { MeridianError } from '../core/errors.ts';
import type { SeqVector } from '../core/seq-vector.ts';
import type { DocRequest, Served } from '../region/coordinator.ts';
import type { HistoryOp } from './checkers/history.ts';
import type { ClientPlan, PlannedClientOp, PlannedSession } from './client-plan.ts';
import type { VirtualClock } from './virtual-clock.ts';

/** An answer, with the serving region's clock when it served it (for bounded reads). */
export type SimServed = Served & { readonly servedAtMs?: number };

export interface SimClientsOptions {
  readonly plan: ClientPlan;
  readonly clock: VirtualClock;
  /** Virtual time of the run's start: history times are relative to it. */
  readonly epoch: number;
  /** Serves a request at a region as its HTTP API would; throws when it cannot be served. */
  readonly invoke: (region: string, request: DocRequest) => Promise<SimServed>;
  readonly trace: (line: string) => void;
  readonly spawn: (what: string, work: Promise<void>) => void;
}

export interface SimClients {
  readonly history: readonly HistoryOp[];
  /** Schedules every session at its start time. */
  start(): void;
  readonly counts: { ok: number; failed: number; unknown: number };
}

export function createSimClients(options: SimClientsOptions): SimClients {
  const { clock, plan, trace } = options;
  const history: HistoryOp[] = [];
  const counts = { ok: 0, failed: 0, unknown: 0 };
  let nextId = 0;
  const now = () => clock.now() - options.epoch;

  async function runOp(session: PlannedSession, op: PlannedClientOp, token: SeqVector): Promise<SeqVector> {
    const id = nextId++;
    const key = `${op.collection}/${op.key}`;
    const written = op.kind === 'put' ? `w${id}` : null;
    const request: DocRequest = {
      op: op.kind,
      collection: op.collection,
      key: op.key,
      ...(op.kind === 'put' ? { body: { v: written } } : {}),
      consistency: op.consistency,
      ...(op.maxStalenessMs === undefined ? {} : { maxStalenessMs: op.maxStalenessMs }),
      session: token,
    };
    const invokeAt = now();
    // Until it completes, a write has an unknown outcome and a read saw nothing: a run may end first.
    const slot = history.length;
    history.push({
      id,
      session: session.name,
      key,
      consistency: op.consistency,
      invokeAt,
      completeAt: undefined,
      ...(op.kind === 'get'
        ? { kind: 'read', outcome: 'failed', value: null }
        : { kind: 'write', outcome: 'unknown', value: written }),
    });
    let served: SimServed | undefined;
    let thrown: unknown;
    try {
      served = await options.invoke(op.region, request);
    } catch (err) {
      thrown = err;
    }
    const completeAt = now();
    const base = {
      id,
      session: session.name,
      key,
      consistency: op.consistency,
      invokeAt,
    };
    let record: HistoryOp;
    if (op.kind === 'get') {
      record = { ...base, kind: 'read', completeAt, outcome: 'failed', value: null };
      const reply = served?.reply;
      if (reply?.kind === 'doc') {
        const value = (JSON.parse(reply.json) as { v: string }).v;
        record = { ...record, outcome: 'ok', value, version: reply.version };
      } else if (reply?.kind === 'error' && reply.error.code === 'not_found') {
        const version = reply.error.details.version;
        record = { ...record, outcome: 'ok', ...(typeof version === 'string' ? { version } : {}) };
      }
      if (record.outcome === 'ok' && op.consistency === 'bounded') {
        record = { ...record, maxStalenessMs: op.maxStalenessMs, servedAtMs: served?.servedAtMs };
      }
    } else {
      record = { ...base, kind: 'write', completeAt, outcome: 'failed', value: written };
      const reply = served?.reply;
      if (reply?.kind === 'written') record = { ...record, outcome: 'ok', version: reply.version };
      else if (isUnknown(reply?.kind === 'error' ? reply.error : thrown)) {
        record = { ...record, outcome: 'unknown', completeAt: undefined };
      }
    }
    history[slot] = record;
    counts[record.outcome]++;
    const error = served?.reply.kind === 'error' ? served.reply.error : thrown;
    trace(
      `client ${session.name} #${id} ${op.kind} ${key}@${op.region} ${op.consistency}: ${record.outcome}` +
        `${record.version ? ` ${record.version}` : ''}${record.kind === 'read' && record.outcome === 'ok' ? ` = ${String(record.value)}` : ''}` +
        `${served?.forwardedTo ? ` via ${served.forwardedTo}` : ''}${error ? ` (${describe(error)})` : ''}`,
    );
    return served?.session ?? token;
  }

  async function runSession(session: PlannedSession): Promise<void> {
    let token: SeqVector = {};
    for (const op of session.ops) {
      await clock.sleep(op.thinkMs);
      token = await runOp(session, op, token);
    }
  }

  return {
    history,
    counts,
    start() {
      for (const session of plan.sessions) {
        clock.at(options.epoch + session.startAt, () =>
          options.spawn(`session ${session.name}`, runSession(session)),
        );
      }
    },
  };
}

function isUnknown(err: unknown): boolean {
  return err instanceof MeridianError && err.code === 'outcome_unknown';
}

function describe(err: unknown): string {
  return err instanceof MeridianError ? err.code : err instanceof Error ? err.message : String(err);
}
