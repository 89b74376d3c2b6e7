// Where a source starts streaming to a puller: after the longest prefix of its log the puller has.

import type { Store } from '../store/store.ts';

/**
 * Today every resume point is in the log. This is the extension point for log truncation: once old
 * entries are collected, a puller that lacks one of them cannot resume from the log, and this function
 * is where the source would answer with a new kind, e.g. { kind: 'snapshot' } (bootstrap from a
 * snapshot, then resume from the position the snapshot covers).
 */
export type ResumePoint = { readonly kind: 'log'; readonly after: number };

export async function resumePoint(
  store: Store,
  applied: Readonly<Record<string, number>>,
): Promise<ResumePoint> {
  return { kind: 'log', after: await store.positionAfter(applied) };
}
