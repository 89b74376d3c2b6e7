// Checks a pull request at the source, where it may have come off the network: a region name and, per
// origin, a whole non-negative applied seq.

import { ErrorCode, MeridianError } from '../core/errors.ts';
import type { PullRequest } from './replication-port.ts';

/** The request's applied seqs as a Map (no prototype keys); throws bad_request naming the bad field. */
export function checkPullRequest(request: PullRequest): ReadonlyMap<string, number> {
  if (typeof request.region !== 'string' || request.region === '') {
    throw badRequest(`pull request: region must be a region name, got ${JSON.stringify(request.region)}`);
  }
  const applied = request.applied as unknown;
  if (typeof applied !== 'object' || applied === null || Array.isArray(applied)) {
    throw badRequest(`pull request from ${request.region}: applied must be an object of seqs by origin`);
  }
  const seqs = new Map<string, number>();
  for (const [origin, seq] of Object.entries(applied)) {
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
      throw badRequest(
        `pull request from ${request.region}: applied["${origin}"] must be a whole number >= 0, got ${JSON.stringify(seq)}`,
      );
    }
    seqs.set(origin, seq);
  }
  return seqs;
}

function badRequest(message: string): MeridianError {
  return new MeridianError(ErrorCode.BadRequest, message);
}
