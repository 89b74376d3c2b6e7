// Measured inter-region round-trip times, made symmetric, next to each pair's light-in-fibre floor.
import { fibreFloorRttMs, haversineKm } from './geo.ts';
import type { GeoPoint } from './geo.ts';

/** Measured RTT in ms as published: `table[from][to]`; the two directions may differ. */
export type RttTable = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface LatencyMatrixInput {
  readonly rtt: RttTable;
  readonly locations: ReadonlyMap<string, GeoPoint>;
}

export interface LatencyMatrix {
  /** Every region with at least one measurement, sorted. */
  regions(): readonly string[];
  /**
   * Measured P50 RTT in ms between `a` and `b`, the same both ways: the mean of the two directions
   * (one direction alone when only one is measured), rounded to the microsecond. A link carries traffic
   * both ways, so an emulated pair must not be faster one way than the other. `a === b` gives the
   * intra-region figure when measured. Undefined when the pair is not measured.
   */
  rttMs(a: string, b: string): number | undefined;
  /** The least possible RTT in ms between the two regions' locations; 0 when a location is unknown. */
  floorRttMs(a: string, b: string): number;
}

export function createLatencyMatrix(input: LatencyMatrixInput): LatencyMatrix {
  const symmetric = symmetricRtt(input.rtt);
  const regions = Object.freeze(regionsOf(input.rtt));
  const locations = new Map(input.locations);
  return Object.freeze({
    regions: () => regions,
    rttMs: (a: string, b: string) => symmetric.get(pairKey(a, b)),
    floorRttMs: (a: string, b: string) => {
      const from = locations.get(a);
      const to = locations.get(b);
      return from && to ? fibreFloorRttMs(haversineKm(from, to)) : 0;
    },
  });
}

/** One key per unordered pair, so `(a, b)` and `(b, a)` meet. */
function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

function symmetricRtt(rtt: RttTable): Map<string, number> {
  const sums = new Map<string, { total: number; count: number }>();
  for (const [from, row] of Object.entries(rtt)) {
    for (const [to, ms] of Object.entries(row)) {
      const key = pairKey(from, to);
      const sum = sums.get(key) ?? { total: 0, count: 0 };
      // The diagonal (from === to) is met once; any other pair once per measured direction.
      sums.set(key, { total: sum.total + ms, count: sum.count + 1 });
    }
  }
  const means = new Map<string, number>();
  for (const [key, { total, count }] of sums) means.set(key, Math.round((total / count) * 1000) / 1000);
  return means;
}

function regionsOf(rtt: RttTable): string[] {
  const names = new Set<string>();
  for (const [from, row] of Object.entries(rtt)) {
    names.add(from);
    for (const to of Object.keys(row)) names.add(to);
  }
  return [...names].sort();
}
