// Virtual users: placed in world cities in proportion to population, each reaching the nearest edge (by
// great-circle distance) over an estimated network leg: a last-mile RTT plus the city -> edge distance at
// the fibre floor times the measured path stretch. Pure: randomness is passed in.

import { haversineKm, type GeoPoint } from '../core/geo.ts';
import { estimateRttMs } from '../core/rtt-estimate.ts';
import type { City } from './world-cities.ts';

export interface Target {
  /** An edge, or (single-region runs) the region itself. */
  readonly name: string;
  readonly url: string;
  readonly location: GeoPoint;
}

export interface UserLeg {
  readonly city: City;
  readonly target: Target;
  /** Round trip between the user and the target, estimated: last mile + stretched fibre floor. */
  readonly rttMs: number;
}

/** Cumulative population, for picking a city with one uniform draw. */
export function populationIndex(cities: readonly City[]): {
  readonly cities: readonly City[];
  readonly cumulative: readonly number[];
} {
  let total = 0;
  const cumulative = cities.map((c) => (total += c.population));
  return { cities, cumulative };
}

export function pickCity(index: ReturnType<typeof populationIndex>, random: number): City {
  const total = index.cumulative[index.cumulative.length - 1] ?? 0;
  const point = Math.min(Math.max(random, 0), 1 - Number.EPSILON) * total;
  let lo = 0;
  let hi = index.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (index.cumulative[mid]! > point) hi = mid;
    else lo = mid + 1;
  }
  return index.cities[lo]!;
}

export function nearest(city: GeoPoint, targets: readonly Target[]): Target {
  if (targets.length === 0) throw new Error('no targets to reach');
  return targets.reduce((best, t) =>
    haversineKm(city, t.location) < haversineKm(city, best.location) ? t : best,
  );
}

export function userLeg(
  city: City,
  targets: readonly Target[],
  stretch: number,
  lastMileRttMs: number,
): UserLeg {
  const target = nearest(city, targets);
  return { city, target, rttMs: lastMileRttMs + estimateRttMs(city, target.location, stretch) };
}
