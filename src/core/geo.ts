// Great-circle distance (haversine, spherical Earth) and the light-in-fibre floor on round-trip time.

export interface GeoPoint {
  /** Latitude in degrees, -90..90. */
  readonly lat: number;
  /** Longitude in degrees, -180..180. */
  readonly lon: number;
}

/** Mean Earth radius (IUGG), the usual choice for the haversine formula. */
export const EARTH_RADIUS_KM = 6371;

/** Light in optical fibre (refractive index about 1.5) covers about 200,000 km/s. */
export const FIBRE_KM_PER_SECOND = 200_000;

const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/** Great-circle distance in km between two points, by the haversine formula (R = 6371 km). */
export function haversineKm(a: GeoPoint, b: GeoPoint): number {
  const dLat = toRadians(b.lat - a.lat);
  const dLon = toRadians(b.lon - a.lon);
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(toRadians(a.lat)) * Math.cos(toRadians(b.lat)) * Math.sin(dLon / 2) ** 2;
  // min(1, ...) guards against rounding just above 1 for antipodal points.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The least possible round-trip time over `km` of fibre laid along the great circle: 2·d / 200,000 km/s,
 * in ms (that is, km / 100). Real paths are longer and add switching, so measured RTTs sit above it.
 */
export function fibreFloorRttMs(km: number): number {
  return ((2 * km) / FIBRE_KM_PER_SECOND) * 1000;
}
