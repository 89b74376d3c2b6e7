// The hybrid logical clock of one region, shared by local writes (tick) and applied remote changes
// (receive), so that every version this region issues is greater than every version it has applied.

import { ErrorCode, MeridianError } from '../core/errors.ts';
import { compareHlc, HLC_ZERO, receiveHlc, tickHlc, type HlcTimestamp } from '../core/hlc.ts';
import { formatVersion, parseVersion } from '../core/version.ts';

/** What receiving a remote version did: merged, or refused (the store must not apply the change). */
export type ClockReceipt =
  | { readonly ok: true }
  /** The version's wall time is `offsetMs` ahead of our physical time, more than the max offset. */
  | { readonly ok: false; readonly reason: 'ahead'; readonly offsetMs: number }
  | { readonly ok: false; readonly reason: 'malformed' };

export interface RegionClock {
  readonly region: string;
  readonly maxOffsetMs: number;
  /**
   * The version for a local write made now. Pass it to store.writeLocal in the same synchronous step
   * (no await in between): otherwise a remote change applied in between could carry a larger version
   * and this write, which the store applies unconditionally, would replace it here but lose elsewhere.
   */
  tick(): string;
  /** Merges a remote change's version before the change is applied (Kulkarni et al.'s receive rule). */
  receive(version: string): ClockReceipt;
  /** The clock's current timestamp (the last one issued or received). */
  current(): HlcTimestamp;
  /** The current timestamp as a version of this region (what progress reports carry as its clock). */
  version(): string;
  /**
   * Moves the clock up to `version` if it is behind, without the max offset check: for a timestamp this
   * region itself reached before it lost its store, as its peers remember it (see docs/INTERNALS.md).
   */
  adopt(version: string): void;
}

export interface RegionClockOptions {
  readonly region: string;
  /** This region's physical time in ms (fractions are dropped). */
  readonly now: () => number;
  /** How far ahead of our physical time a remote timestamp may be before it is refused. */
  readonly maxOffsetMs: number;
  /** The highest version the store holds (see highestVersion): the clock resumes after it. */
  readonly since?: string | undefined;
}

export function createRegionClock(options: RegionClockOptions): RegionClock {
  const { region, maxOffsetMs } = options;
  // Versions hold whole milliseconds: a fractional physical time (performance.now-based clocks, the
  // simulator's network delays) would otherwise format as a malformed version.
  const now = () => Math.floor(options.now());
  if (!Number.isFinite(maxOffsetMs) || maxOffsetMs < 0) {
    throw new MeridianError(
      ErrorCode.InvalidConfig,
      `max clock offset must be a non-negative number of ms, got ${String(maxOffsetMs)}`,
      { details: { maxOffsetMs } },
    );
  }
  let clock = startingPoint(options.since);

  return {
    region,
    maxOffsetMs,
    tick() {
      clock = tickHlc(clock, now());
      return formatVersion(clock, region);
    },
    receive(version) {
      const parsed = parseVersion(version);
      if (parsed === undefined) return { ok: false, reason: 'malformed' };
      const result = receiveHlc(clock, parsed.clock, now(), maxOffsetMs);
      if (!result.ok) return { ok: false, reason: 'ahead', offsetMs: result.offsetMs };
      clock = result.clock;
      return { ok: true };
    },
    current: () => clock,
    version: () => formatVersion(clock, region),
    adopt(version) {
      const parsed = parseVersion(version);
      if (parsed !== undefined && compareHlc(parsed.clock, clock) > 0) clock = parsed.clock;
    },
  };
}

function startingPoint(since: string | undefined): HlcTimestamp {
  if (since === undefined) return HLC_ZERO;
  const parsed = parseVersion(since);
  if (parsed === undefined) {
    throw new MeridianError(ErrorCode.Internal, `the store holds a malformed version '${since}'`, {
      details: { version: since },
    });
  }
  return parsed.clock;
}
