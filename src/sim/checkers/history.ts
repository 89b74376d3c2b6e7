// The history the simulator records: client operations on single-key registers, with their true
// (virtual) invoke and completion times. The checkers in this folder read it; nothing here runs anything.

export type Consistency = 'strong' | 'bounded' | 'session' | 'eventual';

export interface HistoryOp {
  /** Unique, increasing in invoke order. */
  readonly id: number;
  /** The session (client) that issued it; a session's ops never overlap in time (it is sequential). */
  readonly session: string;
  readonly kind: 'write' | 'read';
  readonly key: string;
  readonly consistency: Consistency;
  /** Virtual (true) time of invocation and completion; completeAt undefined = outcome unknown (timed out, crashed): the op may or may not have taken effect, at any time after invokeAt. */
  readonly invokeAt: number;
  readonly completeAt: number | undefined;
  /**
   * write: 'ok' (acknowledged), 'failed' (definitely not applied, e.g. refused before writing), 'unknown' (completeAt undefined).
   * read: 'ok' or 'failed' (a failed read returned nothing and is ignored by every checker).
   */
  readonly outcome: 'ok' | 'failed' | 'unknown';
  /** write: the value written — a unique string per write (e.g. 'w17'), or null for a delete. read: the value read, null when absent/deleted. */
  readonly value: string | null;
  /**
   * The document version: for an ok write, the version it was assigned; for an ok read, the version of what it returned (a tombstone's version when it read a delete; undefined when the key was never written there). Versions are strings ordered by `compareVersions` from src/core/version.ts (last-write-wins order: a larger version wins).
   */
  readonly version?: string;
  /** bounded reads: the staleness bound asked for, and the serving region's hybrid-clock wall time (ms) when it served the read. */
  readonly maxStalenessMs?: number;
  readonly servedAtMs?: number;
}

/** One op as a short, greppable phrase for violation messages: `#12 s1 read 'k' -> 'w3' v=… [40..55]`. */
export function describeOp(op: HistoryOp): string {
  const arrow = op.kind === 'read' ? '->' : ':=';
  const value = op.value === null ? 'null' : `'${op.value}'`;
  const version = op.version === undefined ? '' : ` v=${op.version}`;
  const end = op.completeAt === undefined ? '?' : String(op.completeAt);
  const outcome = op.outcome === 'ok' ? '' : ` (${op.outcome})`;
  return `#${op.id} ${op.session} ${op.consistency} ${op.kind} '${op.key}' ${arrow} ${value}${version} [${op.invokeAt}..${end}]${outcome}`;
}

/** Groups ops by key, keeping history order within each key. */
export function groupByKey(history: readonly HistoryOp[]): Map<string, HistoryOp[]> {
  const byKey = new Map<string, HistoryOp[]>();
  for (const op of history) {
    const list = byKey.get(op.key);
    if (list) list.push(op);
    else byKey.set(op.key, [op]);
  }
  return byKey;
}

/** Orders ops by invocation time, then id (ids increase in invoke order). */
export function byInvocation(a: HistoryOp, b: HistoryOp): number {
  return a.invokeAt - b.invokeAt || a.id - b.id;
}
