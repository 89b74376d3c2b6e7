// Loads the measured RTT table and region locations from data/ and checks their shape at the edge.
import { readFile } from 'node:fs/promises';
import { ErrorCode, MeridianError } from '../core/errors.ts';
import { isJsonObject } from '../core/json.ts';
import { createLatencyMatrix } from '../core/latency-matrix.ts';
import type { GeoPoint } from '../core/geo.ts';
import type { LatencyMatrix, RttTable } from '../core/latency-matrix.ts';

/** The repository's data/ folder, where SOURCES.md says where each file comes from. */
export const DEFAULT_DATA_DIR = new URL('../../data/', import.meta.url);
export const RTT_FILE = 'aws-rtt-p50-ms.json';
export const LOCATIONS_FILE = 'aws-region-locations.csv';
const LOCATIONS_HEADER = 'region,city,country,lat,lon';

export async function loadLatencyMatrix(dataDir: URL = DEFAULT_DATA_DIR): Promise<LatencyMatrix> {
  const [rttText, csvText] = await Promise.all([
    readFile(new URL(RTT_FILE, dataDir), 'utf8'),
    readFile(new URL(LOCATIONS_FILE, dataDir), 'utf8'),
  ]);
  return createLatencyMatrix({ rtt: parseRttJson(rttText), locations: parseRegionLocationsCsv(csvText) });
}

/** Parses `{"data": {from: {to: ms}}}` (the cloudping.co export); every value a non-negative number. */
export function parseRttJson(text: string): RttTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw invalid(`${RTT_FILE}: not valid JSON (${String(cause)}); restore it from data/SOURCES.md`, cause);
  }
  const data = isJsonObject(parsed) ? parsed['data'] : undefined;
  if (!isJsonObject(data)) throw invalid(`${RTT_FILE}: expected an object with a "data" object of rows`);
  const table: Record<string, Record<string, number>> = {};
  for (const [from, row] of Object.entries(data)) {
    if (!isJsonObject(row)) throw invalid(`${RTT_FILE}: data["${from}"] must be an object of ms by region`);
    const out: Record<string, number> = {};
    for (const [to, ms] of Object.entries(row)) {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw invalid(
          `${RTT_FILE}: data["${from}"]["${to}"] must be a non-negative number of ms, got ${JSON.stringify(ms)}`,
        );
      }
      out[to] = ms;
    }
    table[from] = out;
  }
  return table;
}

/** Parses `region,city,country,lat,lon` rows (no quoted fields: no city name holds a comma). */
export function parseRegionLocationsCsv(text: string): Map<string, GeoPoint> {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = lines[0]?.trim();
  if (header !== LOCATIONS_HEADER) {
    throw invalid(
      `${LOCATIONS_FILE}: header must be "${LOCATIONS_HEADER}", got ${JSON.stringify(header ?? '')}`,
    );
  }
  const locations = new Map<string, GeoPoint>();
  lines.slice(1).forEach((line, i) => {
    const where = `${LOCATIONS_FILE} line ${i + 2}`;
    const fields = line.split(',').map((field) => field.trim());
    const [region, , , latText, lonText] = fields;
    if (fields.length !== 5 || !region)
      throw invalid(`${where}: expected 5 fields (${LOCATIONS_HEADER}), got "${line}"`);
    const lat = Number(latText);
    const lon = Number(lonText);
    if (latText === '' || !(lat >= -90 && lat <= 90))
      throw invalid(`${where}: lat must be -90..90, got "${latText}"`);
    if (lonText === '' || !(lon >= -180 && lon <= 180)) {
      throw invalid(`${where}: lon must be -180..180, got "${lonText}"`);
    }
    if (locations.has(region)) throw invalid(`${where}: region "${region}" is listed twice; keep one row`);
    locations.set(region, { lat, lon });
  });
  return locations;
}

function invalid(message: string, cause?: unknown): MeridianError {
  return new MeridianError(ErrorCode.InvalidConfig, message, { cause });
}
