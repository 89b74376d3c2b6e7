// A router's view of one region: active checks with up/down thresholds, passive ejection on consecutive
// request errors, and the measured RTT. Pure: time is passed in (the shape of Envoy's health checking and
// outlier detection, reduced to what Meridian needs).

export interface HealthThresholds {
  /** Consecutive good checks to become healthy again. */
  readonly healthyThreshold: number;
  /** Consecutive failed checks to become unhealthy. */
  readonly unhealthyThreshold: number;
  /** Consecutive failed requests (connect errors, 5xx, too slow) that eject the region. */
  readonly ejectAfterErrors: number;
  /** How long an ejected region takes no traffic (unless an active check says it is back first). */
  readonly ejectForMs: number;
}

export interface RegionHealth {
  /** Null until the first check: the first answer decides at once, thresholds govern later changes. */
  readonly healthy: boolean | null;
  readonly okStreak: number;
  readonly failStreak: number;
  readonly lastError: string | null;
  readonly lastCheckAt: number | null;
  readonly recentRttMs: readonly number[];
  readonly passiveErrors: number;
  readonly ejectedUntil: number | null;
  /** When `healthy` last changed (ms), for status pages and drills. */
  readonly changedAt: number | null;
}

export const UNKNOWN_HEALTH: RegionHealth = {
  healthy: null,
  okStreak: 0,
  failStreak: 0,
  lastError: null,
  lastCheckAt: null,
  recentRttMs: [],
  passiveErrors: 0,
  ejectedUntil: null,
  changedAt: null,
};

const RTT_WINDOW = 5;

export type CheckResult =
  | { readonly ok: true; readonly rttMs: number }
  /**
   * `definite`: the region certainly is not serving (connection refused or closed on us), as opposed to a
   * timeout or an error status that may be transient. One definite failure is enough: a process that does
   * not listen will not flap back within the next check.
   */
  | { readonly ok: false; readonly error: string; readonly definite: boolean };

export function recordCheck(
  state: RegionHealth,
  result: CheckResult,
  now: number,
  t: HealthThresholds,
): RegionHealth {
  if (result.ok) {
    const okStreak = state.okStreak + 1;
    const up = state.healthy === null || state.healthy || okStreak >= t.healthyThreshold;
    return {
      ...state,
      healthy: up,
      okStreak,
      failStreak: 0,
      lastError: null,
      lastCheckAt: now,
      recentRttMs: [...state.recentRttMs, result.rttMs].slice(-RTT_WINDOW),
      // A region the active check sees well again takes traffic again.
      ejectedUntil: up && state.healthy === false ? null : state.ejectedUntil,
      passiveErrors: up && state.healthy === false ? 0 : state.passiveErrors,
      changedAt: up !== state.healthy ? now : state.changedAt,
    };
  }
  const failStreak = state.failStreak + 1;
  const down = state.healthy === null || result.definite || failStreak >= t.unhealthyThreshold;
  const healthy = down ? false : state.healthy;
  return {
    ...state,
    healthy,
    okStreak: 0,
    failStreak,
    lastError: result.error,
    lastCheckAt: now,
    changedAt: healthy !== state.healthy ? now : state.changedAt,
  };
}

/** A proxied request's outcome; errors in a row eject the region for `ejectForMs`. */
export function recordRequest(
  state: RegionHealth,
  ok: boolean,
  now: number,
  t: HealthThresholds,
  error?: string,
): RegionHealth {
  if (ok) return state.passiveErrors === 0 ? state : { ...state, passiveErrors: 0 };
  const passiveErrors = state.passiveErrors + 1;
  if (passiveErrors < t.ejectAfterErrors) return { ...state, passiveErrors };
  return {
    ...state,
    passiveErrors: 0,
    ejectedUntil: now + t.ejectForMs,
    lastError: error ?? state.lastError,
  };
}

/** Takes traffic: the active checks say healthy and no ejection is in force. */
export function isRoutable(state: RegionHealth, now: number): boolean {
  return state.healthy === true && !isEjected(state, now);
}

export function isEjected(state: RegionHealth, now: number): boolean {
  return state.ejectedUntil !== null && now < state.ejectedUntil;
}

/** Median of the recent check RTTs (robust to one slow check), or null before any. */
export function healthRttMs(state: RegionHealth): number | null {
  const sorted = [...state.recentRttMs].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
