// Session guarantees (Terry et al., "Session Guarantees for Weakly Consistent Replicated Data", 1994)
// for ops issued at 'session' consistency: read-your-writes, monotonic reads, monotonic writes and
// writes-follow-reads, judged per session and key on the last-write-wins version order. Only ops that
// succeeded count; a read that found nothing (no version) counts as older than every version.

import { compareVersions } from '../../core/version.ts';
import { byInvocation, describeOp, type HistoryOp } from './history.ts';

/** The newest version a session has seen on one key, and the op that showed it. */
interface Seen {
  readonly version: string;
  readonly op: HistoryOp;
}

interface SessionKeyState {
  /** The session's own write with the highest version. */
  wrote?: Seen;
  /** The highest version the session has read. */
  read?: Seen;
}

/** Violations of the four session guarantees (empty = all hold). */
export function checkSessionGuarantees(history: readonly HistoryOp[]): string[] {
  const violations: string[] = [];
  const bySession = new Map<string, HistoryOp[]>();
  for (const op of history) {
    if (op.consistency !== 'session' || op.outcome !== 'ok') continue;
    const ops = bySession.get(op.session);
    if (ops) ops.push(op);
    else bySession.set(op.session, [op]);
  }
  for (const [session, ops] of bySession) {
    const states = new Map<string, SessionKeyState>();
    for (const op of ops.sort(byInvocation)) {
      let state = states.get(op.key);
      if (!state) states.set(op.key, (state = {}));
      const say = (guarantee: string, problem: string): void => {
        violations.push(
          `session guarantees: ${guarantee} violated in session '${session}' on key '${op.key}': ${problem}`,
        );
      };
      if (op.kind === 'read') checkRead(op, state, say);
      else checkWrite(op, state, say);
    }
  }
  return violations;
}

type Say = (guarantee: string, problem: string) => void;

const versionOf = (op: HistoryOp): string => op.version ?? 'none';

function checkRead(read: HistoryOp, state: SessionKeyState, say: Say): void {
  const got = read.version;
  const older = (seen: Seen): boolean => got === undefined || compareVersions(got, seen.version) < 0;
  if (state.wrote && older(state.wrote)) {
    say(
      'read-your-writes',
      `read #${read.id} returned version ${versionOf(read)}, older than the session's own earlier write ` +
        `#${state.wrote.op.id} (version ${state.wrote.version}). Read: ${describeOp(read)}; write: ${describeOp(state.wrote.op)}`,
    );
  }
  if (state.read && older(state.read)) {
    say(
      'monotonic reads',
      `read #${read.id} returned version ${versionOf(read)}, older than version ${state.read.version} that ` +
        `the session read earlier in #${state.read.op.id}. Read: ${describeOp(read)}; earlier: ${describeOp(state.read.op)}`,
    );
  }
  if (got !== undefined && (!state.read || compareVersions(got, state.read.version) > 0)) {
    state.read = { version: got, op: read };
  }
}

function checkWrite(write: HistoryOp, state: SessionKeyState, say: Say): void {
  const got = write.version;
  if (got === undefined) {
    say('monotonic writes', `acknowledged write #${write.id} has no version: ${describeOp(write)}`);
    return;
  }
  if (state.wrote && compareVersions(got, state.wrote.version) <= 0) {
    say(
      'monotonic writes',
      `write #${write.id} got version ${got}, not above the session's earlier write #${state.wrote.op.id} ` +
        `(version ${state.wrote.version}). Write: ${describeOp(write)}; earlier: ${describeOp(state.wrote.op)}`,
    );
  }
  if (state.read && compareVersions(got, state.read.version) <= 0) {
    say(
      'writes-follow-reads',
      `write #${write.id} got version ${got}, not above version ${state.read.version} that the session read ` +
        `earlier in #${state.read.op.id}. Write: ${describeOp(write)}; read: ${describeOp(state.read.op)}`,
    );
  }
  if (!state.wrote || compareVersions(got, state.wrote.version) > 0)
    state.wrote = { version: got, op: write };
}
