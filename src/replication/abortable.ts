// AbortSignal plumbing: controllers that follow a parent signal and let go of it when done, so long-lived
// signals (a replicator's stop signal) do not collect listeners.

/**
 * The reason a scope is aborted with when the caller gives none. Without one, abort() builds a
 * DOMException and captures a stack trace, which costs more than the rest of a wait (hot in sources).
 */
export const SCOPE_ENDED = Symbol('scope ended');

export interface LinkedAbort {
  readonly signal: AbortSignal;
  /** Aborts with `reason`, SCOPE_ENDED by default. */
  abort(reason?: unknown): void;
  /** Stops following the parent. Call it when the scope ends, whether or not it aborted. */
  release(): void;
}

/** An abort scope inside `parent`: aborting it leaves the parent alone; aborting the parent aborts it. */
export function linkedAbort(parent: AbortSignal): LinkedAbort {
  const controller = new AbortController();
  const follow = () => controller.abort(parent.reason);
  if (parent.aborted) follow();
  else parent.addEventListener('abort', follow, { once: true });
  return {
    signal: controller.signal,
    abort: (reason: unknown = SCOPE_ENDED) => controller.abort(reason),
    release: () => parent.removeEventListener('abort', follow),
  };
}

/** Resolves once `signal` aborts. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
