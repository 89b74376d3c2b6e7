// The world's largest cities (data/world-cities.csv): where virtual users live and how many of them.

import { readFileSync } from 'node:fs';
import { MeridianError } from '../core/errors.ts';
import type { GeoPoint } from '../core/geo.ts';

export const WORLD_CITIES_FILE = new URL('../../data/world-cities.csv', import.meta.url);
const HEADER = 'city,country,continent,lat,lon,population';
export const CONTINENTS = ['AF', 'AS', 'EU', 'NA', 'OC', 'SA'] as const;
export type Continent = (typeof CONTINENTS)[number];

export interface City extends GeoPoint {
  /** Row order in the file; the simulator's geolocation block of the city is derived from it. */
  readonly index: number;
  readonly name: string;
  readonly country: string;
  readonly continent: Continent;
  readonly population: number;
}

export function parseWorldCities(text: string): City[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines[0]?.trim() !== HEADER)
    throw invalid(`header must be "${HEADER}", got ${JSON.stringify(lines[0] ?? '')}`);
  return lines.slice(1).map((line, index) => {
    const [name, country, continent, lat, lon, population, extra] = line.split(',').map((f) => f.trim());
    const where = `line ${index + 2}`;
    if (!name || extra !== undefined) throw invalid(`${where}: expected 6 fields (${HEADER}), got "${line}"`);
    if (!/^[A-Z]{2}$/.test(country ?? ''))
      throw invalid(`${where}: country must be an ISO code, got "${country}"`);
    if (!CONTINENTS.includes(continent as Continent)) {
      throw invalid(`${where}: continent must be one of ${CONTINENTS.join(', ')}, got "${continent}"`);
    }
    const point = { lat: Number(lat), lon: Number(lon) };
    if (!(point.lat >= -90 && point.lat <= 90 && point.lon >= -180 && point.lon <= 180)) {
      throw invalid(`${where}: lat/lon out of range: ${lat}, ${lon}`);
    }
    const people = Number(population);
    if (!(people > 0)) throw invalid(`${where}: population must be > 0, got "${population}"`);
    return {
      index,
      name,
      country: country!,
      continent: continent as Continent,
      population: people,
      ...point,
    };
  });
}

export function loadWorldCities(file: URL | string = WORLD_CITIES_FILE): City[] {
  return parseWorldCities(readFileSync(file, 'utf8'));
}

export function findCity(cities: readonly City[], name: string): City {
  const city = cities.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (!city) {
    throw new MeridianError(
      'bad_request',
      `unknown city '${name}'; cities: ${cities.map((c) => c.name).join(', ')}`,
    );
  }
  return city;
}

function invalid(message: string): MeridianError {
  return new MeridianError('invalid_config', `data/world-cities.csv: ${message}`);
}
