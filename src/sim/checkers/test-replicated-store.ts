// For the checkers' property tests: a small model of a correct multi-region store that records a
// history. Regions stamp writes with hybrid clocks and see each other's writes after a delay; a session
// read never returns less than what its session already saw or wrote (it waits for it otherwise), and a
// bounded read never returns less than every write stamped before its staleness horizon, which it
// reads only once every region has closed that horizon (will stamp nothing below it: Meridian's closed
// timestamps). Waits take no virtual time here. Not used outside tests.

import fc from 'fast-check';
import { receiveHlc, tickHlc, HLC_ZERO, type HlcTimestamp } from '../../core/hlc.ts';
import { compareVersions, formatVersion, parseVersion } from '../../core/version.ts';
import type { Consistency, HistoryOp } from './history.ts';

export interface ScriptStep {
  readonly session: number;
  readonly region: number;
  readonly kind: 'write' | 'delete' | 'read';
  readonly key: number;
  readonly consistency: Consistency;
  readonly failed: boolean;
  /** Virtual ms since the previous step. */
  readonly gap: number;
  /** Replication delay (ms) of a write to the other regions. */
  readonly delay: number;
  readonly maxStalenessMs: number;
}

export interface Script {
  /** Each region's physical clock offset (ms). */
  readonly skews: readonly number[];
  readonly steps: readonly ScriptStep[];
}

export const REGIONS = 3;

export const scriptArbitrary = (maxSteps = 60): fc.Arbitrary<Script> =>
  fc.record({
    skews: fc.array(fc.integer({ min: -40, max: 40 }), { minLength: REGIONS, maxLength: REGIONS }),
    steps: fc.array(
      fc.record({
        session: fc.nat({ max: 3 }),
        region: fc.nat({ max: REGIONS - 1 }),
        kind: fc.constantFrom<ScriptStep['kind']>('write', 'write', 'delete', 'read', 'read', 'read', 'read'),
        key: fc.nat({ max: 1 }),
        consistency: fc.constantFrom<Consistency>(
          'session',
          'session',
          'bounded',
          'bounded',
          'eventual',
          'strong',
        ),
        failed: fc.nat({ max: 5 }).map((n) => n === 0),
        gap: fc.nat({ max: 30 }),
        delay: fc.nat({ max: 200 }),
        maxStalenessMs: fc.nat({ max: 100 }),
      }),
      { minLength: 5, maxLength: maxSteps, size: 'max' },
    ),
  });

/** What a correct store must have returned at least, per read id: for the tests' corruptions. */
export interface Expectations {
  /** Session reads and writes whose session had already seen a version of the key. */
  readonly sessionFloor: ReadonlyMap<number, string>;
  /** Bounded reads that had to reflect some write. */
  readonly boundedFloor: ReadonlyMap<number, string>;
}

interface Stored {
  readonly key: number;
  readonly version: string;
  readonly value: string | null;
  readonly wall: number;
  /** When each region sees it. */
  readonly visibleAt: readonly number[];
}

const newer = (a: Stored | undefined, b: Stored | undefined): Stored | undefined =>
  !a ? b : !b ? a : compareVersions(a.version, b.version) >= 0 ? a : b;

/** Runs the script against the model store and returns the history it records. */
export function runReplicatedStore(script: Script): { history: HistoryOp[]; expect: Expectations } {
  const clocks: HlcTimestamp[] = Array.from({ length: REGIONS }, () => HLC_ZERO);
  const stored: Stored[] = [];
  const floors = new Map<string, Stored>(); // session/key -> newest version the session saw
  const sessionFloor = new Map<number, string>();
  const boundedFloor = new Map<number, string>();
  const history: HistoryOp[] = [];
  let now = 1_000;
  for (const [id, step] of script.steps.entries()) {
    now += 2 + step.gap;
    const physical = now + (script.skews[step.region] ?? 0);
    const floorKey = `${step.session}/${step.key}`;
    const isSession = step.consistency === 'session';
    const floor = isSession ? floors.get(floorKey) : undefined;
    if (floor && !step.failed) sessionFloor.set(id, floor.version);
    const base = {
      id,
      session: `s${step.session}`,
      key: `k${step.key}`,
      consistency: step.consistency,
      invokeAt: now,
      completeAt: now + 1,
    };
    if (step.kind !== 'read') {
      const value = step.kind === 'delete' ? null : `w${id}`;
      if (step.failed) {
        history.push({ ...base, kind: 'write', outcome: 'failed', value });
        continue;
      }
      // Stamped above both the region's clock and anything the session saw, as a session token would.
      const seen = floor ? parseVersion(floor.version)!.clock : HLC_ZERO;
      const clock = receiveHlc(tickHlc(clocks[step.region]!, physical), seen, physical, Infinity);
      if (!clock.ok) throw new Error('unreachable: no offset limit');
      clocks[step.region] = clock.clock;
      const version = formatVersion(clock.clock, `r${step.region}`);
      const visibleAt = Array.from({ length: REGIONS }, (_, r) =>
        r === step.region ? now : now + step.delay * (1 + ((r + step.region) % 2)),
      );
      const write: Stored = { key: step.key, version, value, wall: clock.clock.wall, visibleAt };
      stored.push(write);
      if (isSession) floors.set(floorKey, newer(floor, write)!);
      history.push({ ...base, kind: 'write', outcome: 'ok', value, version });
      continue;
    }
    if (step.failed) {
      history.push({ ...base, kind: 'read', outcome: 'failed', value: 'junk' });
      continue;
    }
    clocks[step.region] = tickHlc(clocks[step.region]!, physical);
    const ofKey = stored.filter((w) => w.key === step.key);
    let result = ofKey
      .filter((w) => w.visibleAt[step.region]! <= now)
      .reduce<Stored | undefined>(newer, undefined);
    let extra: Partial<HistoryOp> = {};
    if (isSession) {
      result = newer(result, floor);
    } else if (step.consistency === 'bounded') {
      const servedAtMs = clocks[step.region]!.wall;
      const horizon = servedAtMs - step.maxStalenessMs;
      // Wait for every region to close the horizon: none stamps below it from now on.
      for (const [r, clock] of clocks.entries()) {
        if (clock.wall < horizon) clocks[r] = { wall: horizon, counter: 0 };
      }
      const required = ofKey.filter((w) => w.wall < horizon).reduce<Stored | undefined>(newer, undefined);
      if (required) boundedFloor.set(id, required.version);
      result = newer(result, required);
      extra = { servedAtMs, maxStalenessMs: step.maxStalenessMs };
    } else if (step.consistency === 'strong') {
      result = ofKey.reduce<Stored | undefined>(newer, undefined);
    }
    if (isSession && result) floors.set(floorKey, result);
    history.push({
      ...base,
      ...extra,
      kind: 'read',
      outcome: 'ok',
      value: result ? result.value : null,
      ...(result && { version: result.version }),
    });
  }
  return { history, expect: { sessionFloor, boundedFloor } };
}
