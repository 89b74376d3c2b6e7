// The trace of a run: one line per decision and event, hashed as it goes. Two runs of a seed must give
// the same hash; the lines themselves are kept only when asked (replaying a failure).

import { createHash } from 'node:crypto';

export interface SimTrace {
  /** Records `line` at virtual time `t` (ms since the start of the run). */
  add(t: number, line: string): void;
  readonly count: number;
  /** sha256 of every line so far, hex. */
  hash(): string;
  /** The lines, when kept. */
  lines(): readonly string[] | undefined;
}

export function createSimTrace(keep: boolean): SimTrace {
  const digest = createHash('sha256');
  const kept: string[] | undefined = keep ? [] : undefined;
  let count = 0;
  return {
    add(t, line) {
      const text = `${Math.round(t * 1000) / 1000} ${line}`;
      digest.update(text + '\n');
      kept?.push(text);
      count++;
    },
    get count() {
      return count;
    },
    hash: () => digest.copy().digest('hex'),
    lines: () => kept,
  };
}
