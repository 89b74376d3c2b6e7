// Replication lag of one change: from its commit at the origin (its version's wall time) to its apply
// here. Physical clocks disagree by up to the max offset, so a lag below 0 is reported as 0.

import { parseVersion } from './version.ts';

/** Milliseconds from the change's commit (version wall time) to `nowMs`; undefined for a bad version. */
export function changeLagMs(version: string, nowMs: number): number | undefined {
  const parsed = parseVersion(version);
  return parsed === undefined ? undefined : Math.max(0, nowMs - parsed.clock.wall);
}
