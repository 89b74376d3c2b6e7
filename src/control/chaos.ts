// `meridian chaos`: kill and restart region processes, cut, heal and slow WAN links, on the running
// local deployment. Every action takes effect before the command returns.

import { request } from 'undici';
import { MeridianError } from '../core/errors.ts';
import { closest } from '../core/suggest.ts';
import { findRegion, writeState, type DeploymentState } from './deployment-state.ts';
import { isAlive, killProcess, startProcess, stopProcess, waitUntilOk } from './processes.ts';

export function checkRegionName(state: DeploymentState, name: string): void {
  const names = state.regions.map((r) => r.name);
  if (names.includes(name)) return;
  const hint = closest(name, names);
  throw new MeridianError(
    'bad_request',
    `unknown region '${name}'${hint ? ` — did you mean '${hint}'?` : ''}; regions: ${names.join(', ')}`,
  );
}

export function killRegion(state: DeploymentState, name: string): number | null {
  checkRegionName(state, name);
  const region = findRegion(state, name);
  const pid = isAlive(region.pid) ? region.pid : null;
  killProcess(pid);
  region.pid = null;
  writeState(state);
  return pid;
}

/**
 * Starts the region again and returns once its process serves HTTP, with whether it is ready: a region
 * whose store was lost stays not ready (no writes) until it has its own changes back from its peers.
 */
export async function restartRegion(
  state: DeploymentState,
  name: string,
  timeoutMs = 30_000,
): Promise<{ pid: number; ready: boolean }> {
  checkRegionName(state, name);
  const region = findRegion(state, name);
  await stopProcess(region.pid);
  region.pid = startProcess(region.command, region.logFile);
  writeState(state);
  await waitUntilOk(`${region.url}/healthz`, { timeoutMs, pid: region.pid, what: `region ${name}` });
  const ready = await waitUntilOk(`${region.url}/readyz`, {
    timeoutMs: 3000,
    pid: region.pid,
    what: `region ${name}`,
  }).then(
    () => true,
    () => false,
  );
  return { pid: region.pid, ready };
}

export async function wanControl(
  state: DeploymentState,
  path: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  for (const key of ['a', 'b'] as const) {
    if (typeof body[key] === 'string') checkRegionName(state, body[key]);
  }
  let res;
  try {
    res = await request(`${state.wan.controlUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      headersTimeout: 5000,
      bodyTimeout: 5000,
    });
  } catch (err) {
    throw new MeridianError(
      'unavailable',
      `the WAN emulator at ${state.wan.controlUrl} does not answer (${(err as Error).message}): is the deployment up? see \`meridian status\``,
    );
  }
  const answer = (await res.body.json()) as { error?: { message: string } };
  if (res.statusCode >= 400)
    throw new MeridianError(
      'bad_request',
      answer.error?.message ?? `WAN emulator answered HTTP ${res.statusCode}`,
    );
  return answer;
}
