// .meridian/state.json: what `meridian up` started (processes, ports), read by down, status and chaos.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MeridianError } from '../core/errors.ts';

export const DEFAULT_DATA_DIR = '.meridian';

export interface ProcessRecord {
  /** The OS process id, or null when the process is not running (killed by chaos, crashed). */
  pid: number | null;
  readonly command: readonly string[];
  readonly logFile: string;
}

export interface RegionRecord extends ProcessRecord {
  readonly name: string;
  readonly url: string;
}

/** An edge router of the local deployment, at a region's city. */
export interface EdgeRecord extends ProcessRecord {
  readonly name: string;
  /** The region whose city the edge stands in. */
  readonly region: string;
  readonly city: string | null;
  readonly location: { readonly lat: number; readonly lon: number } | null;
  readonly url: string;
}

/** The GeoDNS of the local deployment. */
export interface DnsRecord extends ProcessRecord {
  /** The service name it answers for, e.g. api.meridian.test. */
  readonly service: string;
  readonly address: string;
  /** UDP and TCP. */
  readonly port: number;
  readonly statusUrl: string;
}

export interface DeploymentState {
  readonly version: 1;
  readonly startedAt: string;
  readonly dataDir: string;
  readonly configSource: string;
  readonly configFile: string;
  readonly detached: boolean;
  /** The supervising `meridian up` process, when running in the foreground. */
  readonly supervisorPid: number | null;
  readonly wan: ProcessRecord & { readonly controlUrl: string };
  readonly regions: RegionRecord[];
  /** Absent in state files written before edges existed. */
  readonly edges?: EdgeRecord[];
  readonly dns?: DnsRecord;
}

export function statePath(dataDir: string): string {
  return join(resolve(dataDir), 'state.json');
}

export function readState(dataDir: string): DeploymentState {
  const path = statePath(dataDir);
  if (!existsSync(path)) {
    throw new MeridianError(
      'not_found',
      `no local deployment found (${path} is missing): start one with \`meridian up --detach\``,
    );
  }
  return JSON.parse(readFileSync(path, 'utf8')) as DeploymentState;
}

export function tryReadState(dataDir: string): DeploymentState | undefined {
  return existsSync(statePath(dataDir)) ? readState(dataDir) : undefined;
}

/** Written to a temporary file and renamed, so a reader never sees half a file. */
export function writeState(state: DeploymentState): void {
  const path = statePath(state.dataDir);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}

export function removeState(dataDir: string): void {
  rmSync(statePath(dataDir), { force: true });
}

export function findRegion(state: DeploymentState, name: string): RegionRecord {
  const region = state.regions.find((r) => r.name === name);
  if (!region) {
    throw new MeridianError(
      'bad_request',
      `unknown region '${name}'; regions: ${state.regions.map((r) => r.name).join(', ')}`,
    );
  }
  return region;
}
