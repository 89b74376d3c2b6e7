// Where a source starts streaming to a puller: after the longest prefix of its log the puller has, or,
// when the puller lacks entries this log no longer holds, from a snapshot.

import { seqOf } from '../core/seq-vector.ts';
import type { Store } from '../store/store.ts';

/**
 * `log`: stream the log after `after`. `snapshot`: for some origin the puller's applied seq is below the
 * seq this log was truncated to (or covered by a snapshot it installed), so the entries it needs are
 * gone: send a snapshot, then the log after the position the snapshot reflects.
 */
export type ResumePoint =
  | { readonly kind: 'log'; readonly after: number }
  | { readonly kind: 'snapshot'; readonly origins: readonly string[] };

export async function resumePoint(
  store: Store,
  applied: Readonly<Record<string, number>>,
): Promise<ResumePoint> {
  const origins = missingOrigins(await store.truncatedSeqs(), applied);
  if (origins.length > 0) return { kind: 'snapshot', origins };
  return { kind: 'log', after: await store.positionAfter(applied) };
}

/** The origins whose entries a puller at `applied` lacks below the truncation point. */
export function missingOrigins(
  truncated: Readonly<Record<string, number>>,
  applied: Readonly<Record<string, number>>,
): string[] {
  return Object.keys(truncated).filter((origin) => seqOf(truncated, origin) > seqOf(applied, origin));
}
