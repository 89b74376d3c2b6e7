// Helpers for the checkers' tests: a terse op builder. Not used outside tests.

import type { HistoryOp } from './history.ts';

export type OpFields = Partial<HistoryOp> & Pick<HistoryOp, 'id' | 'kind' | 'invokeAt'>;

/** An op with test defaults: session 's1', key 'k', strong, ok, completing one tick after its call. */
export function op(fields: OpFields): HistoryOp {
  const outcome = fields.outcome ?? 'ok';
  return {
    session: 's1',
    key: 'k',
    consistency: 'strong',
    value: null,
    completeAt: outcome === 'unknown' ? undefined : fields.invokeAt + 1,
    outcome,
    ...fields,
  };
}

/** A write of `value` over [invokeAt, completeAt]. */
export function write(
  id: number,
  value: string | null,
  invokeAt: number,
  completeAt: number | undefined,
  more: Partial<HistoryOp> = {},
): HistoryOp {
  const outcome = completeAt === undefined ? 'unknown' : 'ok';
  return op({ id, kind: 'write', value, invokeAt, completeAt, outcome, ...more });
}

/** A read that returned `value` over [invokeAt, completeAt]. */
export function read(
  id: number,
  value: string | null,
  invokeAt: number,
  completeAt: number,
  more: Partial<HistoryOp> = {},
): HistoryOp {
  return op({ id, kind: 'read', value, invokeAt, completeAt, ...more });
}
