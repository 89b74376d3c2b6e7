// The matrix clock of replication progress (Wuu and Bernstein, "Efficient solutions to the replicated log
// and dictionary problems", PODC 1984): what one region knows of every region's applied vector. Rows
// only grow and merge by maximum, so gossip may arrive late, twice or out of order. From the matrix come
// the log watermark (every region has these entries) and the stable vector (tombstones that may go).
// See docs/INTERNALS.md, "Collecting the log and tombstones". Pure: no I/O, no time.

import { compareVersions } from './version.ts';
import { maxVector, minVector, seqOf, type SeqVector } from './seq-vector.ts';

/** What a region reports of its progress; both parts only ever grow. */
export interface ProgressRow {
  /** Per origin, the highest seq the region has applied. */
  readonly applied: SeqVector;
  /** The region's clock: the highest version it has issued or applied (absent when not reported). */
  readonly clock?: string;
}

/** Rows by region: what a region knows of every region's progress, as it travels between regions. */
export type ProgressReport = Readonly<Record<string, ProgressRow>>;

export interface ProgressMatrix {
  /** This region's own row, read from its store and clock: exact, it replaces the previous one. */
  setOwn(row: ProgressRow): void;
  /** Merges rows another region sent (or a pull request's applied vector). Rows of regions not in the
   * configuration are ignored; a row about this region only raises ownClockAsKnown. */
  learn(report: ProgressReport): void;
  /** Every known row, this region's own included: what to send to others. */
  report(): ProgressReport;
  /** Grows whenever a row changed, so a sender can tell whether there is news. */
  readonly changes: number;
  /**
   * Per origin, the lowest applied seq over every configured region: the log entries every region has.
   * Undefined while some region's row is unknown (a region never heard of blocks collection).
   */
  watermark(): SeqVector | undefined;
  /**
   * Per origin, the seqs up to which a tombstone may be purged here: for every region X, X reported
   * having applied the change as of a moment whose own changes of X this region has all applied (so
   * every change still to arrive here is newer than the tombstone). Undefined while a row is unknown.
   */
  stable(): SeqVector | undefined;
  /** The highest clock other regions report for this region (set after it lost its store). */
  ownClockAsKnown(): string | undefined;
}

interface Known {
  row: ProgressRow;
  /** Max over reports whose own seq this region had applied when it looked: see stable(). */
  covered: SeqVector;
  /** A report waiting for this region to apply its own seq; the oldest such is kept, so it folds in. */
  pending: SeqVector | undefined;
}

export function createProgressMatrix(self: string, regions: readonly string[]): ProgressMatrix {
  const configured = new Set(regions);
  const others = regions.filter((r) => r !== self);
  const known = new Map<string, Known>();
  let own: ProgressRow = { applied: {} };
  let ownClock: string | undefined;
  let changes = 0;
  let cached: ProgressReport | undefined;

  function changed(): void {
    changes++;
    cached = undefined;
  }

  /** Folds reports of `region` into its covered vector once this region has applied their own seq. */
  function fold(region: string, entry: Known): void {
    const have = seqOf(own.applied, region);
    if (seqOf(entry.row.applied, region) <= have) {
      entry.covered = maxVector(entry.covered, entry.row.applied);
      entry.pending = undefined;
    } else if (entry.pending !== undefined && seqOf(entry.pending, region) <= have) {
      entry.covered = maxVector(entry.covered, entry.pending);
      entry.pending = entry.row.applied;
    } else {
      entry.pending ??= entry.row.applied;
    }
  }

  function learnRow(region: string, row: ProgressRow): void {
    if (region === self) {
      if (row.clock !== undefined) ownClock = maxClock(ownClock, row.clock);
      return;
    }
    if (!configured.has(region)) return;
    const entry = known.get(region);
    if (entry === undefined) {
      const first: Known = { row: copyRow(row), covered: {}, pending: undefined };
      known.set(region, first);
      fold(region, first);
      changed();
      return;
    }
    const merged = mergeRows(entry.row, row);
    if (sameRow(merged, entry.row)) return;
    entry.row = merged;
    fold(region, entry);
    changed();
  }

  return {
    setOwn(row) {
      const next = copyRow(row);
      if (sameRow(next, own)) return;
      own = next;
      for (const [region, entry] of known) fold(region, entry);
      changed();
    },
    learn(report) {
      for (const region of Object.keys(report)) {
        const row = report[region];
        if (row !== undefined && isRow(row)) learnRow(region, row);
      }
    },
    report() {
      const rows: Record<string, ProgressRow> = { [self]: own };
      if (cached === undefined) {
        for (const [region, entry] of known) rows[region] = entry.row;
        cached = Object.freeze(rows);
      }
      return cached;
    },
    get changes() {
      return changes;
    },
    watermark() {
      const rows = others.map((r) => known.get(r)?.row.applied);
      if (rows.some((row) => row === undefined)) return undefined;
      return minVector([own.applied, ...(rows as SeqVector[])]);
    },
    stable() {
      const rows = others.map((r) => known.get(r)?.covered);
      if (others.some((r) => !known.has(r))) return undefined;
      return minVector([own.applied, ...(rows as SeqVector[])]);
    },
    ownClockAsKnown: () => ownClock,
  };
}

function mergeRows(a: ProgressRow, b: ProgressRow): ProgressRow {
  const clock = maxClock(a.clock, b.clock);
  const applied = maxVector(a.applied, b.applied);
  return clock === undefined ? { applied } : { applied, clock };
}

function copyRow(row: ProgressRow): ProgressRow {
  return mergeRows({ applied: {} }, row);
}

function sameRow(a: ProgressRow, b: ProgressRow): boolean {
  const keys = new Set([...Object.keys(a.applied), ...Object.keys(b.applied)]);
  return a.clock === b.clock && [...keys].every((o) => seqOf(a.applied, o) === seqOf(b.applied, o));
}

function maxClock(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareVersions(a, b) >= 0 ? a : b;
}

/** A row off the network: an object of seqs and an optional string clock (anything else is dropped). */
function isRow(row: unknown): row is ProgressRow {
  if (typeof row !== 'object' || row === null) return false;
  const { applied, clock } = row as { applied?: unknown; clock?: unknown };
  return (
    typeof applied === 'object' &&
    applied !== null &&
    !Array.isArray(applied) &&
    (clock === undefined || typeof clock === 'string')
  );
}
