// Peer health from probe history: pure, so the region node and the simulator decide the same way.

export interface PeerProbeState {
  /** When the last successful probe completed (ms), or undefined if none has. */
  readonly lastOkAt: number | undefined;
  /** The RTT of recent successful probes (ms), newest last. */
  readonly recentRttMs: readonly number[];
  readonly lastError: string | undefined;
}

export const EMPTY_PROBE_STATE: PeerProbeState = {
  lastOkAt: undefined,
  recentRttMs: [],
  lastError: undefined,
};
const WINDOW = 5;

export function recordProbeOk(state: PeerProbeState, at: number, rttMs: number): PeerProbeState {
  return { lastOkAt: at, recentRttMs: [...state.recentRttMs, rttMs].slice(-WINDOW), lastError: undefined };
}

export function recordProbeError(state: PeerProbeState, error: string): PeerProbeState {
  return { ...state, lastError: error };
}

/** Healthy while the last successful probe is younger than `unhealthyAfterMs` and no probe failed since. */
export function isPeerHealthy(state: PeerProbeState, now: number, unhealthyAfterMs: number): boolean {
  return (
    state.lastOkAt !== undefined && state.lastError === undefined && now - state.lastOkAt < unhealthyAfterMs
  );
}

/** The median of the recent RTTs: robust to one slow probe (a GC pause, a busy event loop). */
export function peerRttMs(state: PeerProbeState): number | undefined {
  const sorted = [...state.recentRttMs].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
