// Linearizability checker for the simulator's history: each key is an independent read/write register
// (Herlihy & Wing's locality, "P-compositionality" in Horn & Kroening), checked with the Wing & Gong
// search plus Lowe's memoization, as in Knossos and Porcupine (the search is in register-search.ts).
// This file picks the ops, reports first the violations that need no search (a value never written,
// read before it was written, or already overwritten), and explains a failed search by the shortest
// prefix of the key's history that fails.
//
// Which ops take part: strong reads that succeeded, and every write of any consistency that did not
// definitely fail (whatever its consistency, a write changes the one document a strong read must see).
// A write with unknown outcome may take effect at any point after its invocation, or never. Written
// values must be unique per write (deletes aside): the search relies on it, and a repeat is reported.

import { byInvocation, describeOp, groupByKey, type HistoryOp } from './history.ts';
import { comparePos, prepareRegister, returnTime, searchRegister, type EventPos } from './register-search.ts';

export interface LinearizabilityOptions {
  /**
   * Search steps allowed per key (and as many again, on a key that fails, to look for its shortest
   * failing prefix). The search is exponential in the number of concurrent ops at worst; past the
   * budget a key is reported in `undecided` instead of as a violation. Default 1,000,000: one or two
   * seconds and 100-250 MB of cache at most, where realistic histories need a few thousand steps.
   */
  readonly maxSteps?: number;
}

export interface UndecidedKey {
  readonly key: string;
  /** Steps spent before giving up. */
  readonly steps: number;
}

export interface LinearizabilityReport {
  /** One sentence per non-linearizable key (or per read of a value that was never written). */
  readonly violations: string[];
  /** Keys whose search ran out of budget: neither proven linearizable nor proven not. */
  readonly undecided: UndecidedKey[];
  /** Total search steps over all keys, for tuning the budget. */
  readonly steps: number;
}

const DEFAULT_MAX_STEPS = 1_000_000;

/**
 * Violations of linearizability (empty = every key is linearizable, or undecided: a key whose search
 * exceeded the default budget is not reported here; use `checkLinearizability` to see those).
 */
export function checkLinearizable(history: readonly HistoryOp[]): string[] {
  return checkLinearizability(history).violations;
}

/** The full verdict: violations, keys left undecided by the step budget, and the work done. */
export function checkLinearizability(
  history: readonly HistoryOp[],
  options: LinearizabilityOptions = {},
): LinearizabilityReport {
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const violations: string[] = [];
  const undecided: UndecidedKey[] = [];
  let steps = 0;
  const writersByValue = new Map<string, HistoryOp>();
  const repeated = new Set<string>();
  for (const op of history) {
    if (op.kind !== 'write' || op.value === null) continue;
    const first = writersByValue.get(op.value);
    if (first === undefined) writersByValue.set(op.value, op);
    else {
      repeated.add(op.key).add(first.key);
      violations.push(
        `linearizability: history is unusable for key '${op.key}': written values must be unique, but ` +
          `${describeOp(first)} and ${describeOp(op)} both wrote '${op.value}'`,
      );
    }
  }
  for (const [key, all] of groupByKey(history)) {
    if (repeated.has(key)) continue;
    const ops = all.filter(takesPart).sort(byInvocation);
    const definite = definiteViolations(ops, writersByValue);
    if (definite.length > 0) {
      violations.push(...definite);
      continue;
    }
    const full = searchRegister(prepareRegister(ops, undefined), maxSteps);
    steps += full.steps;
    if (full.verdict === 'undecided') undecided.push({ key, steps: full.steps });
    if (full.verdict !== 'fail') continue;
    const prefix = shortestFailingPrefix(ops, full.reached, maxSteps);
    steps += prefix.steps;
    violations.push(describeFailure(key, ops, prefix));
  }
  return { violations, undecided, steps };
}

function takesPart(op: HistoryOp): boolean {
  if (op.kind === 'write') return op.outcome !== 'failed';
  return op.consistency === 'strong' && op.outcome === 'ok';
}

const MAX_DEFINITE_PER_KEY = 10;

/**
 * Violations found without searching, each a plain fact about one read, in O(n log n), so the common
 * failures are reported fast and precisely: a value that no write of this key produced, a value
 * written only after the read completed, and a stale value. A read of v (written by W) is stale when
 * some write X is known to have taken effect before the read began (X completed, or another read
 * completed having returned X's value) although X began after W completed, so X overwrote v first.
 * Reads of null are not judged here: several deletes (and the initial state) share that value.
 */
function definiteViolations(
  ops: readonly HistoryOp[],
  writersByValue: ReadonlyMap<string, HistoryOp>,
): string[] {
  const out: string[] = [];
  const say = (read: HistoryOp, what: string, details: string): void => {
    const head = `linearizability: key '${read.key}', session ${read.session}: strong read #${read.id} returned`;
    out.push(`${head} ${what}. Read: ${describeOp(read)}${details}`);
  };
  const writerOf = (read: HistoryOp): HistoryOp | undefined =>
    read.kind === 'read' && read.value !== null ? writersByValue.get(read.value) : undefined;
  // "X took effect before time t": X completed (known at X's return), or a read of X's value completed.
  const known: { at: number; writer: HistoryOp; via: HistoryOp }[] = [];
  for (const op of ops) {
    const at = returnTime(op);
    const writer = op.kind === 'write' ? op : writerOf(op);
    if (at !== Infinity && writer !== undefined && writer.key === op.key && writer.outcome !== 'failed') {
      known.push({ at, writer, via: op });
    }
  }
  known.sort((a, b) => a.at - b.at);
  const reads = ops.filter((op) => op.kind === 'read').sort(byInvocation);
  let next = 0;
  let latest: (typeof known)[number] | undefined; // the known write that began last
  for (const read of reads) {
    while (next < known.length && known[next]!.at < read.invokeAt) {
      const k = known[next++]!;
      if (latest === undefined || k.writer.invokeAt > latest.writer.invokeAt) latest = k;
    }
    if (read.value === null) continue;
    const writer = writersByValue.get(read.value);
    if (writer === undefined) {
      say(read, 'a value no write ever wrote', '');
    } else if (writer.key !== read.key) {
      say(read, 'a value written to another key', `; writer: ${describeOp(writer)}`);
    } else if (writer.outcome === 'failed') {
      say(read, 'the value of a write that failed', `; writer: ${describeOp(writer)}`);
    } else if (writer.invokeAt > returnTime(read)) {
      say(read, 'a value before it was written', `; writer: ${describeOp(writer)}`);
    } else if (latest !== undefined && latest.writer.invokeAt > returnTime(writer)) {
      const overwrite = `; overwritten by ${describeOp(latest.writer)}, which began after the writer completed`;
      const before =
        latest.via === latest.writer
          ? ' and completed before the read began'
          : `, and ${describeOp(latest.via)} returned its value before the read began`;
      say(read, 'a stale value', `; writer: ${describeOp(writer)}${overwrite}${before}`);
    }
  }
  if (out.length <= MAX_DEFINITE_PER_KEY) return out;
  const key = ops[0]!.key;
  return [
    ...out.slice(0, MAX_DEFINITE_PER_KEY),
    `linearizability: key '${key}': … and ${out.length - MAX_DEFINITE_PER_KEY} more such reads`,
  ];
}

// ---- Explaining a failure -----------------------------------------------------------------------------

/**
 * Linearizability is prefix-closed, so the prefixes that fail are those ending at or after some return
 * event: binary search for the first one, starting from where the full search got stuck (a lower bound,
 * and usually the answer). The probes share one step budget; an undecided probe counts as passing, so
 * the answer is always a prefix known to fail, the shortest one unless the budget ran out.
 */
function shortestFailingPrefix(
  ops: readonly HistoryOp[],
  reached: EventPos | undefined,
  maxSteps: number,
): FailingPrefix {
  const returns = ops
    .filter((op) => returnTime(op) !== Infinity)
    .map((op) => ({ op, pos: { time: returnTime(op), isReturn: true, id: op.id } }))
    .sort((a, b) => comparePos(a.pos, b.pos));
  let lo = reached ? returns.findIndex((r) => comparePos(r.pos, reached) >= 0) : 0;
  if (lo < 0) lo = 0;
  let hi = returns.length - 1;
  let steps = 0;
  let shortest = true;
  let probe = lo; // first the lower bound itself, then halves
  while (lo < hi) {
    if (steps >= maxSteps) {
      shortest = false;
      break;
    }
    const result = searchRegister(prepareRegister(ops, returns[probe]!.pos), maxSteps - steps);
    steps += result.steps;
    if (result.verdict === 'undecided') shortest = false;
    if (result.verdict === 'fail') hi = probe;
    else lo = probe + 1;
    probe = (lo + hi) >> 1;
  }
  return { culprit: returns[hi]?.op, shortest, steps };
}

interface FailingPrefix {
  /** The op whose completion ends the prefix. */
  readonly culprit: HistoryOp | undefined;
  /** Whether it is known to be the shortest (false when the budget ran out first). */
  readonly shortest: boolean;
  readonly steps: number;
}

const MAX_LISTED = 16;
const EARLIER_LISTED = 4;

function describeFailure(key: string, ops: readonly HistoryOp[], prefix: FailingPrefix): string {
  const { culprit } = prefix;
  if (culprit === undefined) return `linearizability: key '${key}' is not linearizable`;
  const cutTime = returnTime(culprit);
  const inPrefix = ops.filter((op) => op.invokeAt <= cutTime);
  // The ops that explain the failure: those overlapping the culprit, the last few that finished before it
  // began, and the write whose value it read.
  const overlapping = inPrefix.filter((op) => op !== culprit && returnTime(op) >= culprit.invokeAt);
  const earlier = inPrefix
    .filter((op) => returnTime(op) < culprit.invokeAt)
    .sort((a, b) => returnTime(b) - returnTime(a) || b.id - a.id)
    .slice(0, EARLIER_LISTED);
  const source = inPrefix.filter(
    (op) => op.kind === 'write' && culprit.kind === 'read' && op.value === culprit.value,
  );
  const listed = [...new Set([...earlier, ...source, ...overlapping])].sort(byInvocation);
  const shown = listed.slice(0, MAX_LISTED).map(describeOp);
  if (listed.length > MAX_LISTED) shown.push(`… and ${listed.length - MAX_LISTED} more`);
  return (
    `linearizability: key '${key}' is not linearizable; ${prefix.shortest ? 'the shortest' : 'a'} failing ` +
    `prefix (${inPrefix.length} ops) ` +
    `ends when ${describeOp(culprit)} completed. Ops involved: ${shown.join('; ')}`
  );
}
