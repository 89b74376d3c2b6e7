// Estimated RTT between two points where nothing was measured (a user's city and an edge, a resolver and a
// region): the fibre floor of the great-circle distance times how much slower real paths measure.

import { fibreFloorRttMs, haversineKm, type GeoPoint } from './geo.ts';
import type { LatencyMatrix } from './latency-matrix.ts';

/** Pairs closer than this are dominated by switching, not distance: left out of the ratio. */
const MIN_FLOOR_MS = 5;

/**
 * The median of measured RTT ÷ fibre floor over every measured pair of distinct regions (1.75 for the
 * bundled AWS P50 data: real routes are longer than great circles and add switching). 2 when nothing fits.
 */
export function pathStretch(matrix: LatencyMatrix): number {
  const ratios: number[] = [];
  const regions = matrix.regions();
  for (const a of regions) {
    for (const b of regions) {
      if (a >= b) continue;
      const rtt = matrix.rttMs(a, b);
      const floor = matrix.floorRttMs(a, b);
      if (rtt !== undefined && floor > MIN_FLOOR_MS) ratios.push(rtt / floor);
    }
  }
  if (ratios.length === 0) return 2;
  ratios.sort((x, y) => x - y);
  const mid = ratios.length >> 1;
  return ratios.length % 2 === 1 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
}

export function estimateRttMs(a: GeoPoint, b: GeoPoint, stretch: number): number {
  return fibreFloorRttMs(haversineKm(a, b)) * stretch;
}
