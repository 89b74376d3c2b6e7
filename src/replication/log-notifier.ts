// Wakes replication sources when the log grows. The store port has no change feed, so the region wraps
// its store once (notifyingStore) and every append through the wrapper calls the subscribers.

import type { Store } from '../store/store.ts';

/** The read side, for sources. */
export interface LogWatch {
  /** How many appends have been notified so far. */
  readonly appends: number;
  /** Calls `onAppend` after every append until the returned function is called. */
  subscribe(onAppend: () => void): () => void;
}

export interface LogNotifier extends LogWatch {
  notify(): void;
}

export function createLogNotifier(): LogNotifier {
  let appends = 0;
  const listeners = new Set<() => void>();
  return {
    get appends() {
      return appends;
    },
    notify() {
      appends++;
      for (const listener of listeners) listener();
    },
    subscribe(onAppend) {
      // A wrapper per subscription, so subscribing the same function twice gives two subscriptions.
      const listener = () => onAppend();
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * `store`, notifying after every append: a local write that succeeded, a remote change applied or
 * superseded (both are logged). Each method calls the inner store synchronously, so a version ticked
 * just before writeLocal still reaches the store in the same step (see RegionClock.tick).
 */
export function notifyingStore(store: Store, notifier: LogNotifier): Store {
  return {
    kind: store.kind,
    get: (collection, key) => store.get(collection, key),
    list: (collection, options) => store.list(collection, options),
    async writeLocal(write, precondition) {
      const result = await store.writeLocal(write, precondition);
      if (result.ok) notifier.notify();
      return result;
    },
    async applyRemote(change) {
      const result = await store.applyRemote(change);
      if (result === 'applied' || result === 'superseded') notifier.notify();
      return result;
    },
    readLog: (after, limit) => store.readLog(after, limit),
    logHead: () => store.logHead(),
    appliedSeqs: () => store.appliedSeqs(),
    positionAfter: (applied) => store.positionAfter(applied),
    stats: () => store.stats(),
    close: () => store.close(),
  };
}
