// Tests for geolocation against the simulator's database built from data/world-cities.csv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGeoResolver } from './geo-resolver.ts';
import { cityAddress } from './sim-geo.ts';
import { findCity, loadWorldCities } from './world-cities.ts';

const cities = loadWorldCities();
const geo = openGeoResolver(undefined);

test('every city block geolocates to its city, country, continent and location', () => {
  for (const city of cities) {
    const answer = geo.lookup(cityAddress(city, 42));
    assert.deepEqual(answer, {
      country: city.country,
      continent: city.continent,
      city: city.name,
      location: { lat: city.lat, lon: city.lon },
      prefixLength: 24,
    });
  }
});

test('addresses outside the blocks, IPv6 and garbage give null', () => {
  assert.equal(geo.lookup('127.0.0.1'), null);
  assert.equal(geo.lookup('2001:db8::1'), null);
  assert.equal(geo.lookup('not an ip'), null);
});

test('Paris is FR, Tokyo is JP, New York is US', () => {
  assert.equal(geo.lookup(cityAddress(findCity(cities, 'Paris')))?.country, 'FR');
  assert.equal(geo.lookup(cityAddress(findCity(cities, 'tokyo')))?.country, 'JP');
  assert.equal(geo.lookup(cityAddress(findCity(cities, 'New York')))?.country, 'US');
  assert.throws(() => findCity(cities, 'Atlantis'), /unknown city 'Atlantis'/);
});

test('a file that is not an MMDB is refused with its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-geo-'));
  try {
    writeFileSync(join(dir, 'bad.mmdb'), 'hello');
    assert.throws(() => openGeoResolver(join(dir, 'bad.mmdb')), /bad\.mmdb is not a MaxMind DB file/);
    assert.throws(() => openGeoResolver(join(dir, 'missing.mmdb')), /cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
