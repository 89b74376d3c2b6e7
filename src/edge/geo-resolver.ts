// Client geolocation from a MaxMind-format database (the `maxmind` package): GeoLite2/GeoIP2 country or
// city files, ip-location-db's country files, or the simulator's database built from data/world-cities.csv.

import { readFileSync } from 'node:fs';
import { Reader, type Response } from 'maxmind';
import { MeridianError } from '../core/errors.ts';
import type { GeoPoint } from '../core/geo.ts';
import { buildSimulatorGeoDb } from './sim-geo.ts';
import { loadWorldCities } from './world-cities.ts';

export interface GeoAnswer {
  readonly country: string | null;
  readonly continent: string | null;
  readonly city: string | null;
  readonly location: GeoPoint | null;
  /** Length of the database network that matched (the ECS scope a DNS answer may claim). */
  readonly prefixLength: number;
}

export interface GeoResolver {
  /** What the database says of `ip`, or null when it has nothing (or the address is not valid). */
  lookup(ip: string): GeoAnswer | null;
  /** Where it came from: a file path or 'simulator'. */
  readonly source: string;
  readonly databaseType: string;
}

/** The shapes of record we read: GeoLite2/GeoIP2 (`country.iso_code`) and ip-location-db (`country_code`). */
interface GeoRecord {
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
  country_code?: string;
  continent?: { code?: string };
  city?: { names?: { en?: string } };
  location?: { latitude?: number; longitude?: number };
}

export function createGeoResolver(db: Buffer, source: string): GeoResolver {
  let reader: Reader<Response>;
  try {
    reader = new Reader<Response>(db);
  } catch (cause) {
    throw new MeridianError('invalid_config', `${source} is not a MaxMind DB file: ${String(cause)}`, {
      cause,
    });
  }
  return {
    source,
    databaseType: reader.metadata.databaseType,
    lookup(ip) {
      let hit: [GeoRecord | null, number];
      try {
        // The reader's types list MaxMind's own products; our records are a subset read structurally.
        hit = reader.getWithPrefixLength(ip) as unknown as [GeoRecord | null, number];
      } catch {
        return null; // not an address, or IPv6 against an IPv4-only database
      }
      const [record, prefixLength] = hit;
      if (record === null) return null;
      const { latitude, longitude } = record.location ?? {};
      return {
        country:
          record.country?.iso_code ?? record.country_code ?? record.registered_country?.iso_code ?? null,
        continent: record.continent?.code ?? null,
        city: record.city?.names?.en ?? null,
        location:
          latitude !== undefined && longitude !== undefined ? { lat: latitude, lon: longitude } : null,
        prefixLength,
      };
    },
  };
}

/** A database file, or (no path) the simulator's database built from data/world-cities.csv. */
export function openGeoResolver(path: string | undefined): GeoResolver {
  if (path === undefined) return createGeoResolver(buildSimulatorGeoDb(loadWorldCities()), 'simulator');
  let db: Buffer;
  try {
    db = readFileSync(path);
  } catch (cause) {
    throw new MeridianError('invalid_config', `routing.geoDatabase: cannot read ${path}: ${String(cause)}`, {
      cause,
    });
  }
  return createGeoResolver(db, path);
}
