// Bounded staleness, measured on hybrid-clock time: a 'bounded' read served when the serving region's
// clock read T, with bound S, must reflect every acknowledged write whose version was stamped before
// T - S, that is, return a version at least as new (last-write-wins order) as each of them.
// Real time plays no part: a write stamped below the horizon counts even if it was issued after the
// read, since a region serves the read only once every origin has closed the horizon (promised to stamp
// nothing below it, src/replication/region-consistency.ts); such a write means that promise was broken.

import { compareVersions, parseVersion } from '../../core/version.ts';
import { describeOp, groupByKey, type HistoryOp } from './history.ts';

/** An acknowledged write with the wall time of its version, and the newest version stamped up to it. */
interface StampedWrite {
  readonly wall: number;
  readonly op: HistoryOp;
  readonly version: string;
  /** The write with the highest version among this one and every earlier-stamped one. */
  readonly newestSoFar: { readonly op: HistoryOp; readonly version: string };
}

/** Violations of the bounded-staleness contract (empty = every bounded read was fresh enough). */
export function checkStaleness(history: readonly HistoryOp[]): string[] {
  const violations: string[] = [];
  for (const [key, ops] of groupByKey(history)) {
    const writes = stampedWrites(ops, violations);
    for (const read of ops) {
      if (read.kind !== 'read' || read.consistency !== 'bounded' || read.outcome !== 'ok') continue;
      const { servedAtMs, maxStalenessMs } = read;
      if (servedAtMs === undefined || maxStalenessMs === undefined) {
        const missing = [
          servedAtMs === undefined && 'servedAtMs',
          maxStalenessMs === undefined && 'maxStalenessMs',
        ];
        violations.push(
          `bounded staleness: read #${read.id} (session '${read.session}', key '${key}') is missing ` +
            `${missing.filter(Boolean).join(' and ')}: ${describeOp(read)}`,
        );
        continue;
      }
      const horizon = servedAtMs - maxStalenessMs;
      const required = newestBefore(writes, horizon);
      if (!required) continue;
      const got = read.version;
      if (got !== undefined && compareVersions(got, required.version) >= 0) continue;
      violations.push(
        `bounded staleness: read #${read.id} (session '${read.session}', key '${key}', maxStalenessMs ` +
          `${maxStalenessMs}, servedAtMs ${servedAtMs}) returned version ${got ?? 'none'}, older than write ` +
          `#${required.op.id} (version ${required.version}, stamped before ${horizon}) that it must reflect. ` +
          `Read: ${describeOp(read)}; write: ${describeOp(required.op)}`,
      );
    }
  }
  return violations;
}

/** The key's acknowledged writes in stamp order; a write without a readable version is reported. */
function stampedWrites(ops: readonly HistoryOp[], violations: string[]): StampedWrite[] {
  const stamped: { wall: number; op: HistoryOp; version: string }[] = [];
  for (const op of ops) {
    if (op.kind !== 'write' || op.outcome !== 'ok') continue;
    const parsed = op.version === undefined ? undefined : parseVersion(op.version);
    if (op.version === undefined || parsed === undefined) {
      violations.push(
        `bounded staleness: acknowledged write #${op.id} has no readable version: ${describeOp(op)}`,
      );
      continue;
    }
    stamped.push({ wall: parsed.clock.wall, op, version: op.version });
  }
  stamped.sort((a, b) => a.wall - b.wall);
  let newest: StampedWrite['newestSoFar'] | undefined;
  return stamped.map((w) => {
    if (!newest || compareVersions(w.version, newest.version) > 0) newest = { op: w.op, version: w.version };
    return { ...w, newestSoFar: newest };
  });
}

/** The newest write among those stamped strictly before `horizon` (binary search on stamp order). */
function newestBefore(
  writes: readonly StampedWrite[],
  horizon: number,
): StampedWrite['newestSoFar'] | undefined {
  let lo = 0;
  let hi = writes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (writes[mid]!.wall < horizon) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : writes[lo - 1]!.newestSoFar;
}
