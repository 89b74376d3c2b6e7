// Where each region is (data/aws-region-locations.csv, or `regions[].location` in the config) and how much
// measured paths stretch over the fibre floor: what the GeoDNS and virtual users estimate RTTs from.

import { readFile } from 'node:fs/promises';
import type { GeoPoint } from '../core/geo.ts';
import type { LatencyMatrix } from '../core/latency-matrix.ts';
import { pathStretch } from '../core/rtt-estimate.ts';
import type { MeridianConfig } from '../config/schema.ts';
import {
  DEFAULT_DATA_DIR,
  LOCATIONS_FILE,
  loadLatencyMatrix,
  parseRegionLocationsCsv,
} from '../control/wan-data.ts';

export interface RegionGeo {
  readonly matrix: LatencyMatrix;
  /** Measured RTT ÷ fibre floor (median over the measured pairs). */
  readonly stretch: number;
  /** The region's location, or undefined when neither the data nor the config knows it. */
  location(region: string): GeoPoint | undefined;
  /** The region's city name from the data, if known. */
  city(region: string): string | undefined;
}

export async function loadRegionGeo(
  config: Pick<MeridianConfig, 'regions'>,
  dataDir: URL = DEFAULT_DATA_DIR,
): Promise<RegionGeo> {
  const [matrix, csv] = await Promise.all([
    loadLatencyMatrix(dataDir),
    readFile(new URL(LOCATIONS_FILE, dataDir), 'utf8'),
  ]);
  const known = parseRegionLocationsCsv(csv);
  const cities = new Map(
    csv
      .split(/\r?\n/)
      .slice(1)
      .map((line) => line.split(','))
      .filter((f) => f.length === 5)
      .map((f) => [f[0]!.trim(), f[1]!.trim()] as const),
  );
  const overrides = new Map(
    config.regions.flatMap((r) => (r.location ? [[r.name, r.location] as const] : [])),
  );
  return {
    matrix,
    stretch: pathStretch(matrix),
    location: (region) => overrides.get(region) ?? known.get(region),
    city: (region) => cities.get(region),
  };
}
