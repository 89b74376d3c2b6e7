// The simulator's geolocation database: city k of data/world-cities.csv owns 198.18.k.0/24 (RFC 2544's
// benchmarking range, never routed on the Internet), written as a real MMDB file in GeoLite2-City's shape.

import { MeridianError } from '../core/errors.ts';
import type { City } from './world-cities.ts';
import { writeMmdb } from './mmdb-writer.ts';

/** Fixed, so the same city table always gives the same bytes. */
const BUILD_EPOCH = 1_767_225_600; // 2026-01-01T00:00:00Z

export function cityBlock(city: Pick<City, 'index'>): string {
  return `198.18.${city.index}.0/24`;
}

/** A client address in the city's block; `host` 1..254 picks one user. */
export function cityAddress(city: Pick<City, 'index'>, host = 1): string {
  return `198.18.${city.index}.${1 + (Math.abs(Math.trunc(host)) % 254)}`;
}

export function buildSimulatorGeoDb(cities: readonly City[]): Buffer {
  if (cities.length > 256) {
    throw new MeridianError(
      'invalid_config',
      `the simulator's geolocation database holds 256 cities, got ${cities.length}`,
    );
  }
  return writeMmdb(
    cities.map((city) => ({
      cidr: cityBlock(city),
      data: {
        city: { names: { en: city.name } },
        continent: { code: city.continent },
        country: { iso_code: city.country },
        location: { latitude: city.lat, longitude: city.lon, accuracy_radius: 50 },
      },
    })),
    {
      databaseType: 'Meridian-Simulator-City',
      description:
        'Synthetic per-city blocks in 198.18.0.0/16 for the Meridian simulator (data/world-cities.csv)',
      buildEpoch: BUILD_EPOCH,
    },
  );
}
