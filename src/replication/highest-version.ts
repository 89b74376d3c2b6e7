// Finds the highest version a store holds, so a restarted region's clock resumes above everything it
// issued or applied before, even when its physical clock now reads earlier.

import { compareVersions } from '../core/version.ts';
import type { Store } from '../store/store.ts';
import { createRegionClock, type RegionClock, type RegionClockOptions } from './region-clock.ts';

/**
 * The largest version the store has applied. An origin's versions grow with its originSeq (its region
 * clock never goes backwards), so the candidates are each origin's last change, one index probe each:
 * with that origin's seq lowered by one, positionAfter stops just before exactly that change. A change no
 * longer logged (truncated, purged, or covered by a snapshot) is at or below the store's version floor.
 */
export async function highestVersion(store: Store): Promise<string | undefined> {
  const applied = await store.appliedSeqs();
  let highest = await store.versionFloor();
  for (const [origin, seq] of Object.entries(applied)) {
    const before = await store.positionAfter({ ...applied, [origin]: seq - 1 });
    const [last] = await store.readLog(before, 1);
    if (last === undefined || last.origin !== origin || last.originSeq !== seq) continue;
    if (highest === undefined || compareVersions(last.version, highest) > 0) highest = last.version;
  }
  return highest;
}

/** A region clock that resumes after the store's highest version. */
export async function loadRegionClock(
  store: Store,
  options: Omit<RegionClockOptions, 'since'>,
): Promise<RegionClock> {
  return createRegionClock({ ...options, since: await highestVersion(store) });
}
