// Active health checks of every region from where this router stands (through the WAN locally): GET the
// health path every interval over one kept-alive connection, so a check also measures one round trip.
// Passive outcomes of proxied requests feed the same state; decisions are in core/region-health.ts.

import { performance } from 'node:perf_hooks';
import { Pool, errors } from 'undici';
import type { MeridianConfig } from '../config/schema.ts';
import {
  healthRttMs,
  isEjected,
  isRoutable,
  recordCheck,
  recordRequest,
  UNKNOWN_HEALTH,
  type CheckResult,
  type HealthThresholds,
  type RegionHealth,
} from '../core/region-health.ts';

export interface HealthTarget {
  readonly name: string;
  readonly url: string;
}

/** The health-check settings of the routing config, as both the edge and the GeoDNS use them. */
export function healthSettings(
  routing: MeridianConfig['routing'],
): Pick<HealthCheckOptions, 'intervalMs' | 'timeoutMs' | 'path' | 'thresholds'> {
  return {
    intervalMs: routing.health.interval,
    timeoutMs: routing.health.timeout,
    path: routing.health.path,
    thresholds: {
      healthyThreshold: routing.health.healthyThreshold,
      unhealthyThreshold: routing.health.unhealthyThreshold,
      ejectAfterErrors: routing.passive.consecutiveErrors,
      ejectForMs: routing.passive.ejectFor,
    },
  };
}

export interface HealthCheckOptions {
  readonly targets: readonly HealthTarget[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly path: string;
  readonly thresholds: HealthThresholds;
  readonly now?: () => number;
  /** Called when a region's routability changes. */
  readonly onChange?: (name: string, routable: boolean, why: string | null) => void;
}

export interface RegionHealthView {
  readonly name: string;
  readonly url: string;
  readonly healthy: boolean;
  /** Active checks' verdict (null before the first check). */
  readonly checkHealthy: boolean | null;
  readonly ejected: boolean;
  readonly rttMs: number | null;
  readonly lastError: string | null;
  readonly lastCheckMsAgo: number | null;
  readonly changedMsAgo: number | null;
}

export interface HealthChecker {
  start(): void;
  /** Resolves once every region has been checked at least once (or after `timeoutMs`). */
  firstRound(timeoutMs: number): Promise<void>;
  routable(name: string): boolean;
  rttMs(name: string): number | null;
  /** A proxied request's outcome (passive checking). */
  recordRequest(name: string, ok: boolean, error?: string): void;
  view(): RegionHealthView[];
  stop(): Promise<void>;
}

export function createHealthChecker(options: HealthCheckOptions): HealthChecker {
  const now = options.now ?? Date.now;
  const regions = new Map(
    options.targets.map((t) => [
      t.name,
      {
        target: t,
        pool: new Pool(t.url, { connections: 1, pipelining: 0, keepAliveTimeout: 60_000 }),
        state: UNKNOWN_HEALTH,
        inFlight: false,
        routable: false,
      },
    ]),
  );
  type Entry = NonNullable<ReturnType<typeof regions.get>>;
  let timer: NodeJS.Timeout | undefined;
  const waiters: Array<() => void> = [];

  function update(entry: Entry, next: RegionHealth): void {
    entry.state = next;
    const routable = isRoutable(next, now());
    if (routable !== entry.routable) {
      entry.routable = routable;
      options.onChange?.(entry.target.name, routable, next.lastError);
    }
    if (waiters.length > 0 && [...regions.values()].every((e) => e.state.lastCheckAt !== null)) {
      for (const w of waiters.splice(0)) w();
    }
  }

  async function check(entry: Entry): Promise<void> {
    if (entry.inFlight) return;
    entry.inFlight = true;
    const started = performance.now();
    let result: CheckResult;
    try {
      const res = await entry.pool.request({
        method: 'GET',
        path: options.path,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      await res.body.dump();
      result =
        res.statusCode === 200
          ? { ok: true, rttMs: performance.now() - started }
          : { ok: false, error: `HTTP ${res.statusCode}`, definite: false };
    } catch (err) {
      result = { ok: false, error: describe(err), definite: isDefinite(err) };
    } finally {
      entry.inFlight = false;
    }
    update(entry, recordCheck(entry.state, result, now(), options.thresholds));
  }

  function tick(): void {
    for (const entry of regions.values()) void check(entry);
    // An ejection that expired makes a region routable again without a state change: notice it here.
    for (const entry of regions.values()) update(entry, entry.state);
  }

  return {
    start() {
      if (timer) return;
      tick();
      timer = setInterval(tick, options.intervalMs);
      timer.unref();
    },
    firstRound(timeoutMs) {
      if ([...regions.values()].every((e) => e.state.lastCheckAt !== null)) return Promise.resolve();
      return new Promise((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, timeoutMs).unref();
      });
    },
    routable(name) {
      const entry = regions.get(name);
      return entry !== undefined && isRoutable(entry.state, now());
    },
    rttMs(name) {
      const entry = regions.get(name);
      return entry === undefined ? null : healthRttMs(entry.state);
    },
    recordRequest(name, ok, error) {
      const entry = regions.get(name);
      if (entry) update(entry, recordRequest(entry.state, ok, now(), options.thresholds, error));
    },
    view() {
      const t = now();
      return [...regions.values()].map(({ target, state }) => ({
        name: target.name,
        url: target.url,
        healthy: isRoutable(state, t),
        checkHealthy: state.healthy,
        ejected: isEjected(state, t),
        rttMs: round(healthRttMs(state)),
        lastError: state.lastError,
        lastCheckMsAgo: state.lastCheckAt === null ? null : t - state.lastCheckAt,
        changedMsAgo: state.changedAt === null ? null : t - state.changedAt,
      }));
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const w of waiters.splice(0)) w();
      await Promise.all([...regions.values()].map((e) => e.pool.destroy()));
    },
  };
}

/** The region is certainly not serving: nothing listens, or the connection was closed on us. */
export function isDefinite(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'UND_ERR_SOCKET' ||
    err instanceof errors.SocketError
  );
}

export function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  return [e.code, cause, e.message].filter((x) => x !== undefined && x !== '').join(': ') || String(err);
}

function round(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 10) / 10;
}
