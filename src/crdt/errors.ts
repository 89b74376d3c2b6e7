// The errors of the CRDT document library: a bad op (the client's to fix), a bad apply context (the
// server's bug) and a malformed stored state. All are MeridianErrors, so the HTTP edge translates them once.

import { ErrorCode, MeridianError } from '../core/errors.ts';

export const CrdtOpReason = {
  /** The op is not well formed: unknown op, wrong path or value type, non-finite number, ... (400) */
  InvalidOp: 'invalid_op',
  /** The op does not fit the document: incrementing a set, a path through a counter, ... (409) */
  TypeMismatch: 'type_mismatch',
  /** `expire` names a field that does not exist. (409) */
  MissingField: 'missing_field',
  /** A counter's total would leave the safe integer range. (409) */
  Overflow: 'overflow',
  /** The apply context is malformed: a server bug, not the client's. (500) */
  InvalidContext: 'invalid_context',
  /** The context's timestamp is not after this replica's last write to the document: a server bug. (500) */
  StaleTimestamp: 'stale_timestamp',
} as const;
export type CrdtOpReason = (typeof CrdtOpReason)[keyof typeof CrdtOpReason];

const statusByReason: Record<CrdtOpReason, number> = {
  invalid_op: 400,
  type_mismatch: 409,
  missing_field: 409,
  overflow: 409,
  invalid_context: 500,
  stale_timestamp: 500,
};

/** An op batch that cannot be applied. Nothing of the batch is applied: applyOps returns or throws. */
export class CrdtOpError extends MeridianError {
  readonly reason: CrdtOpReason;
  /** Index of the offending op in the batch, when one op is to blame. */
  readonly opIndex: number | undefined;
  /** Field path of the offending op, when one op is to blame. */
  readonly path: readonly string[] | undefined;

  constructor(
    reason: CrdtOpReason,
    message: string,
    where: { readonly opIndex?: number; readonly path?: readonly string[] } = {},
  ) {
    const system = reason === 'invalid_context' || reason === 'stale_timestamp';
    super(system ? ErrorCode.Internal : ErrorCode.BadRequest, message, {
      status: statusByReason[reason],
      details: { reason, opIndex: where.opIndex, path: where.path },
    });
    this.reason = reason;
    this.opIndex = where.opIndex;
    this.path = where.path;
  }
}

/** A stored or received state that decode refuses; `at` is the JSON path of the first problem. */
export class CrdtStateError extends MeridianError {
  readonly at: string;
  readonly problem: string;

  constructor(at: string, problem: string) {
    super(ErrorCode.InvalidDocument, `invalid CRDT state at ${at}: ${problem}`, { details: { at, problem } });
    this.at = at;
    this.problem = problem;
  }
}
