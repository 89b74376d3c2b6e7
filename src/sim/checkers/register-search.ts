// The search behind the linearizability checker: does one key's history have a linearization as a
// read/write register? Wing & Gong's depth-first search over the time-ordered list of call/return
// events with Lowe's memoization of (linearized set, state) configurations, as in Knossos and
// Porcupine, plus reductions that rely on every write writing a unique value (nulls aside).

import type { HistoryOp } from './history.ts';

/** An op as the search sees it: times, whether it must be linearized, and its value as a small integer. */
export interface RegisterOp {
  readonly op: HistoryOp;
  readonly isWrite: boolean;
  /** 0 is null (absent or deleted); written values are numbered from 1. */
  readonly value: number;
  readonly call: number;
  /** When it must have taken effect by; for an optional op, when it can no longer matter (or Infinity). */
  readonly ret: number;
  /** May never take effect (an unknown-outcome write): at `ret` the search "retires" it instead. */
  readonly optional: boolean;
  /** A required write whose value no read returned: it only matters where it sits among other writes. */
  readonly dead: boolean;
}

/** A point in the event order: time, then calls before returns (touching ops count as concurrent), then id. */
export interface EventPos {
  readonly time: number;
  readonly isReturn: boolean;
  readonly id: number;
}

export function comparePos(a: EventPos, b: EventPos): number {
  return a.time - b.time || Number(a.isReturn) - Number(b.isReturn) || a.id - b.id;
}

/** When the op completed, or Infinity when its outcome is unknown. */
export function returnTime(op: HistoryOp): number {
  return op.outcome === 'unknown' || op.completeAt === undefined ? Infinity : op.completeAt;
}

/**
 * The register ops of one key's history (strong reads that succeeded, writes that did not fail), cut
 * at `cut` if given: the prefix up to and including that event, where ops invoked later are dropped,
 * pending writes become optional and pending reads are dropped.
 *
 * Optional (unknown-outcome) writes are narrowed using the values reads returned, which shrinks the
 * search a lot when the simulator times out writes and never changes the verdict:
 * - one whose value some read returned must precede that read: it becomes required, due by the earliest
 *   return among those reads;
 * - one whose value no read returned is useless once no read can fall between it and the next write: a
 *   value nobody read is dropped outright, and a delete (null) stays optional only until the last return
 *   of a read that returned null. Removing it from any linearization that has it there leaves it valid.
 */
export function prepareRegister(ops: readonly HistoryOp[], cut: EventPos | undefined): RegisterOp[] {
  const included: { op: HistoryOp; ret: number }[] = [];
  for (const op of ops) {
    if (cut && comparePos({ time: op.invokeAt, isReturn: false, id: op.id }, cut) > 0) continue;
    let ret = returnTime(op);
    if (cut && comparePos({ time: ret, isReturn: true, id: op.id }, cut) > 0) ret = Infinity;
    if (op.kind === 'read' && ret === Infinity && cut) continue;
    included.push({ op, ret });
  }
  const valueIds = new Map<string, number>();
  const readersDue = new Map<string, number>();
  let lastNullRead = -Infinity;
  for (const { op, ret } of included) {
    if (op.value !== null && !valueIds.has(op.value)) valueIds.set(op.value, valueIds.size + 1);
    if (op.kind !== 'read') continue;
    if (op.value === null) lastNullRead = Math.max(lastNullRead, ret);
    else readersDue.set(op.value, Math.min(ret, readersDue.get(op.value) ?? Infinity));
  }
  const out: RegisterOp[] = [];
  for (const { op, ret } of included) {
    const value = op.value === null ? 0 : valueIds.get(op.value)!;
    const base = { op, isWrite: op.kind === 'write', value, call: op.invokeAt };
    const unread = op.value === null ? lastNullRead === -Infinity : !readersDue.has(op.value);
    if (op.kind === 'read' || ret !== Infinity) {
      out.push({ ...base, ret, optional: false, dead: base.isWrite && unread });
    } else if (op.value === null) {
      if (lastNullRead >= op.invokeAt) out.push({ ...base, ret: lastNullRead, optional: true, dead: false });
    } else {
      const due = readersDue.get(op.value);
      if (due !== undefined) {
        out.push({ ...base, ret: Math.max(due, op.invokeAt), optional: false, dead: false });
      }
    }
  }
  return out;
}

export interface SearchResult {
  readonly verdict: 'ok' | 'fail' | 'undecided';
  /** Moves tried plus moves undone. */
  readonly steps: number;
  /**
   * The furthest return the search got to (the latest "first pending return" of any configuration).
   * When the verdict is 'fail', the shortest failing prefix of the history ends at or after it: a
   * configuration past the end of a failing prefix would be a linearization of that prefix.
   */
  readonly reached?: EventPos;
}

/** The state after a dead write: a value no read returned, so only another write can follow it. */
const BOTTOM = -1;

// A move is (op index << 2) | how: linearize a write (state := its value), keep the state (a read, a
// retirement, an absorbed write), or linearize a dead write (state := BOTTOM).
const WRITE = 0;
const KEEP = 1;
const TO_BOTTOM = 2;

/**
 * Wing & Gong with Lowe's cache. The events sit in a doubly linked list kept in typed arrays: entry 2i
 * is op i's call and 2i+1 its return. Linearizing op i unlinks both; backtracking relinks them (last
 * unlinked, first relinked, as in dancing links), which restores the list exactly. The "candidates" of a
 * configuration are the calls before the first remaining return: the ops that may be linearized next.
 * Each configuration lists its moves; the depth-first search tries them in turn, skipping any that leads
 * to a configuration already in the cache (explored before, so it failed).
 *
 * Reductions that keep the verdict (the tests compare the search with a plain exhaustive one on
 * thousands of random histories); all rest on written values being unique:
 * - Eager reads. A candidate read whose value is the current state is the only move: a completion that
 *   linearizes it later also works with it moved here (it changes no state, and every op that must
 *   precede it is already linearized).
 * - Just-in-time writes. In a valid order a write is followed directly by a read of its value, by
 *   another write (so its value is never seen), or by nothing. So a write is a move only when a
 *   candidate read returned its value (most urgent read first); otherwise it waits for its return, where
 *   it is linearized if some read still needs its value.
 * - Absorbed writes. A write that can only be followed by another write (nobody read its value, or a
 *   delete, whose null others share) fits just before any write linearized while it was a candidate:
 *   reaching its return, it is "absorbed" (state unchanged) if there was one, else it is linearized there
 *   (a dead write leaves BOTTOM: only a write may follow). Whether a pending write is absorbable depends
 *   on the path, not only on the linearized set, so it is part of the cache key.
 * - Retired writes. Reaching the return of an unknown-outcome write that has not taken effect retires
 *   it: it never happens.
 * - Doomed reads. A move that overwrites a non-null value some pending read still has to return is
 *   skipped at once, rather than when the search reaches that read's return: the value cannot come back.
 */
export function searchRegister(ops: readonly RegisterOp[], maxSteps: number): SearchResult {
  const n = ops.length;
  const mustTotal = ops.filter((o) => !o.optional && !o.dead).length;
  if (mustTotal === 0) return { verdict: 'ok', steps: 0 };
  const head = 2 * n;
  const tail = 2 * n + 1;
  const next = new Int32Array(2 * n + 2);
  const prev = new Int32Array(2 * n + 2);
  const positions = Array.from({ length: 2 * n }, (_, e): EventPos => {
    const o = ops[e >> 1]!;
    return { time: e & 1 ? o.ret : o.call, isReturn: (e & 1) === 1, id: o.op.id };
  });
  const order = Array.from({ length: 2 * n }, (_, e) => e).sort((a, b) =>
    comparePos(positions[a]!, positions[b]!),
  );
  const rank = new Int32Array(2 * n + 2);
  order.forEach((e, r) => (rank[e] = r));
  let reached = -1;
  let last = head;
  for (const e of order) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  next[last] = tail;
  prev[tail] = last;

  const absorbs = ops.map((o) => o.dead || (o.isWrite && o.value === 0 && !o.optional));
  const anyAbsorbs = absorbs.includes(true);
  const valueCount = ops.reduce((max, o) => Math.max(max, o.value), 0) + 1;
  // Reads of each value not yet linearized: a non-null value can never come back once overwritten.
  const unreadBy = new Int32Array(valueCount);
  for (const o of ops) if (!o.isWrite) unreadBy[o.value]!++;
  const linearized = new Uint32Array((n + 31) >> 5);
  const absorbable = new Uint32Array((n + 31) >> 5);
  const has = (bits: Uint32Array, i: number): boolean => (bits[i >> 5]! & (1 << (i & 31))) !== 0;
  const set = (bits: Uint32Array, i: number): void => void (bits[i >> 5]! |= 1 << (i & 31));
  const clear = (bits: Uint32Array, i: number): void => void (bits[i >> 5]! &= ~(1 << (i & 31)));
  const cache = new Set<string>();
  let state = 0;
  let mustDone = 0;
  let steps = 0;

  // The path: one frame per move made, with what undoing it needs and the moves still to try there.
  interface Frame {
    readonly op: number;
    readonly prevState: number;
    readonly marks: number;
    readonly moves: readonly number[];
    readonly nextMove: number;
  }
  const path: Frame[] = [];
  const marked: number[] = []; // absorbable flags set, in order, for undo

  /** The moves from the current configuration, best first. */
  // Per value: the earliest return among candidate reads of it, valid where wantedAt equals the visit.
  const urgency = new Float64Array(valueCount);
  const wantedAt = new Int32Array(valueCount);
  let visit = 0;
  const movesHere = (): number[] => {
    visit++;
    let wanted = false;
    let e = next[head]!;
    for (; e !== tail && (e & 1) === 0; e = next[e]!) {
      const o = ops[e >> 1]!;
      if (o.isWrite) continue;
      if (o.value === state) return [((e >> 1) << 2) | KEEP];
      if (wantedAt[o.value] !== visit) {
        wantedAt[o.value] = visit;
        urgency[o.value] = o.ret;
        wanted = true;
      } else urgency[o.value] = Math.min(o.ret, urgency[o.value]!);
    }
    if (e !== tail && rank[e]! > reached) reached = rank[e]!;
    const writes: { i: number; due: number }[] = [];
    for (let c = next[head]!; wanted && c !== e; c = next[c]!) {
      const o = ops[c >> 1]!;
      if (o.isWrite && !o.dead && wantedAt[o.value] === visit)
        writes.push({ i: c >> 1, due: urgency[o.value]! });
    }
    if (writes.length > 1) writes.sort((a, b) => a.due - b.due || ops[a.i]!.ret - ops[b.i]!.ret || a.i - b.i);
    const moves = writes.map((w) => (w.i << 2) | WRITE);
    if (e === tail) return moves;
    // The first pending return: what must happen to that op now, if anything can.
    const i = e >> 1;
    const o = ops[i]!;
    if (o.optional) moves.push((i << 2) | KEEP);
    else if (o.dead) moves.push((i << 2) | (has(absorbable, i) ? KEEP : TO_BOTTOM));
    else if (o.isWrite) {
      moves.push((i << 2) | WRITE);
      if (absorbs[i] && has(absorbable, i)) moves.push((i << 2) | KEEP);
    }
    return moves;
  };

  /** Makes a move unless it leads to a configuration seen before. */
  const apply = (move: number, moves: readonly number[], nextMove: number): boolean => {
    const i = move >> 2;
    const how = move & 3;
    const newState = how === KEEP ? state : how === WRITE ? ops[i]!.value : BOTTOM;
    // Overwriting a value that some read still has to return dooms that read: prune now, not at its return.
    if (how !== KEEP && state > 0 && unreadBy[state]! > 0) return false;
    const marks = marked.length;
    if (how !== KEEP) {
      // Every absorbing write that is a candidate now could sit just before this one.
      for (let e = next[head]!; e !== tail && (e & 1) === 0; e = next[e]!) {
        const d = e >> 1;
        if (d !== i && absorbs[d] && !has(absorbable, d)) {
          set(absorbable, d);
          marked.push(d);
        }
      }
    }
    set(linearized, i);
    // The key packs the state and both bit sets into UTF-16 code units (cheap to build and hash), leaving
    // out the leading words where every op is linearized and the trailing ones where none is: the key
    // spans only the window of concurrent ops, which keeps the cache small on long histories.
    const words = linearized.length;
    let lo = 0;
    while (lo < words && linearized[lo] === 0xffffffff) lo++;
    let hi = words;
    while (hi > lo && linearized[hi - 1] === 0 && (absorbable[hi - 1]! & ~linearized[hi - 1]!) === 0) hi--;
    let key = `${newState}:${lo}:`;
    for (let w = lo; w < hi; w++) {
      const l = linearized[w]!;
      key += String.fromCharCode(l & 0xffff, l >>> 16);
      if (anyAbsorbs) {
        const a = absorbable[w]! & ~l;
        key += String.fromCharCode(a & 0xffff, a >>> 16);
      }
    }
    if (cache.has(key)) {
      clear(linearized, i);
      while (marked.length > marks) clear(absorbable, marked.pop()!);
      return false;
    }
    cache.add(key);
    path.push({ op: i, prevState: state, marks, moves, nextMove });
    state = newState;
    for (const e of [2 * i, 2 * i + 1]) {
      next[prev[e]!] = next[e]!;
      prev[next[e]!] = prev[e]!;
    }
    if (!ops[i]!.optional && !ops[i]!.dead) mustDone++;
    if (!ops[i]!.isWrite) unreadBy[ops[i]!.value]!--;
    return true;
  };

  const undo = (frame: Frame): void => {
    const i = frame.op;
    state = frame.prevState;
    while (marked.length > frame.marks) clear(absorbable, marked.pop()!);
    clear(linearized, i);
    for (const e of [2 * i + 1, 2 * i]) {
      next[prev[e]!] = e;
      prev[next[e]!] = e;
    }
    if (!ops[i]!.optional && !ops[i]!.dead) mustDone--;
    if (!ops[i]!.isWrite) unreadBy[ops[i]!.value]!++;
  };

  let moves: readonly number[] = movesHere();
  let nextMove = 0;
  for (;;) {
    // Remaining dead, deleting and unknown writes can all go at the end.
    if (mustDone === mustTotal) return { verdict: 'ok', steps };
    let moved = false;
    while (!moved && nextMove < moves.length) {
      if (++steps > maxSteps) return { verdict: 'undecided', steps: maxSteps };
      moved = apply(moves[nextMove]!, moves, nextMove + 1);
      nextMove++;
    }
    if (moved) {
      moves = movesHere();
      nextMove = 0;
      continue;
    }
    const frame = path.pop();
    if (frame === undefined) {
      return { verdict: 'fail', steps, ...(reached >= 0 && { reached: positions[order[reached]!]! }) };
    }
    if (++steps > maxSteps) return { verdict: 'undecided', steps: maxSteps };
    undo(frame);
    moves = frame.moves;
    nextMove = frame.nextMove;
  }
}
