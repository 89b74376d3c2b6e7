// Where virtual users send their requests in the local deployment: its edges (each at a region's city), or
// one region directly (`--single-region`), with the cities, region locations and path stretch to place them.

import { MeridianError } from '../core/errors.ts';
import type { GeoPoint } from '../core/geo.ts';
import { closest } from '../core/suggest.ts';
import { loadConfig } from '../config/load-config.ts';
import type { DeploymentState } from '../control/deployment-state.ts';
import { loadRegionGeo } from './region-geo.ts';
import type { Target } from './virtual-users.ts';
import { loadWorldCities, type City } from './world-cities.ts';

export interface LoadSetup {
  readonly mode: string;
  readonly targets: readonly Target[];
  readonly targetsAreRegions: boolean;
  readonly cities: readonly City[];
  readonly regionLocations: readonly GeoPoint[];
  readonly stretch: number;
}

export async function loadSetup(state: DeploymentState, singleRegion?: string): Promise<LoadSetup> {
  const { config } = await loadConfig(state.configFile);
  const geo = await loadRegionGeo(config);
  const regionLocations = state.regions.flatMap((r) => geo.location(r.name) ?? []);
  const base = { cities: loadWorldCities(), regionLocations, stretch: geo.stretch };
  if (singleRegion !== undefined) {
    const region = state.regions.find((r) => r.name === singleRegion);
    const location = geo.location(singleRegion);
    if (!region) {
      const names = state.regions.map((r) => r.name);
      const hint = closest(singleRegion, names);
      throw new MeridianError(
        'bad_request',
        `unknown region '${singleRegion}'${hint ? ` — did you mean '${hint}'?` : ''}; regions: ${names.join(', ')}`,
      );
    }
    if (!location)
      throw new MeridianError(
        'bad_request',
        `region ${singleRegion} has no known location: set regions[].location`,
      );
    return {
      ...base,
      mode: `every user -> ${singleRegion} directly`,
      targets: [{ name: region.name, url: region.url, location }],
      targetsAreRegions: true,
    };
  }
  const edges = (state.edges ?? []).filter((e) => e.location !== null);
  if (edges.length === 0) {
    throw new MeridianError(
      'bad_request',
      'this deployment has no edges with a location (started before edges existed?): `meridian down`, then `meridian up` again',
    );
  }
  return {
    ...base,
    mode: `users -> nearest of ${edges.length} edges -> region by policy`,
    targetsAreRegions: false,
    targets: edges.map((e) => ({ name: e.name, url: e.url, location: e.location! })),
  };
}
