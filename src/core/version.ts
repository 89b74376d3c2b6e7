// Document versions: an HLC timestamp plus the writing region, as a string whose lexicographic order is
// the last-write-wins order (larger clock wins, region id breaks ties). Used as the HTTP ETag.

import type { HlcTimestamp } from './hlc.ts';

const VERSION_RE = /^([0-9a-f]{12})([0-9a-f]{4})@([a-z0-9][a-z0-9-]{0,62})$/;

export function formatVersion(ts: HlcTimestamp, region: string): string {
  return ts.wall.toString(16).padStart(12, '0') + ts.counter.toString(16).padStart(4, '0') + '@' + region;
}

export interface ParsedVersion {
  readonly clock: HlcTimestamp;
  readonly region: string;
}

export function parseVersion(version: string): ParsedVersion | undefined {
  const m = VERSION_RE.exec(version);
  if (!m) return undefined;
  return { clock: { wall: parseInt(m[1]!, 16), counter: parseInt(m[2]!, 16) }, region: m[3]! };
}

/** Negative when `a` loses to `b` under last-write-wins, positive when it wins, 0 when equal. */
export function compareVersions(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
