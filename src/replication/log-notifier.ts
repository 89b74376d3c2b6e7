// Wakes replication sources when the log grows or loses entries. The store port has no change feed, so
// the region wraps its store once (notifyingStore) and every append or truncation through the wrapper
// calls the subscribers.

import { applyRemoteAll } from '../store/apply-batch.ts';
import type { BatchedWrite, Store } from '../store/store.ts';

/** The read side, for sources. */
export interface LogWatch {
  /** How many appends have been notified so far. */
  readonly appends: number;
  /** How many times entries left the log (truncated, or dropped by a snapshot) so far. */
  readonly truncations: number;
  /** Calls `onChange` after every append and truncation until the returned function is called. */
  subscribe(onChange: () => void): () => void;
}

export interface LogNotifier extends LogWatch {
  notify(): void;
  notifyTruncated(): void;
}

export function createLogNotifier(): LogNotifier {
  let appends = 0;
  let truncations = 0;
  const listeners = new Set<() => void>();
  const ring = () => {
    for (const listener of listeners) listener();
  };
  return {
    get appends() {
      return appends;
    },
    get truncations() {
      return truncations;
    },
    notify() {
      appends++;
      ring();
    },
    notifyTruncated() {
      truncations++;
      ring();
    },
    subscribe(onChange) {
      // A wrapper per subscription, so subscribing the same function twice gives two subscriptions.
      const listener = () => onChange();
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * `store`, notifying after every append (a local write that succeeded, a remote change applied or
 * superseded: both are logged) and after every truncation (truncateLog, the last page of a snapshot).
 * Each method calls the inner store synchronously, so a version ticked just before writeLocal still
 * reaches the store in the same step (see RegionClock.tick).
 */
export function notifyingStore(store: Store, notifier: LogNotifier): Store {
  return {
    kind: store.kind,
    get: (collection, key) => store.get(collection, key),
    ...(store.getJson && { getJson: (collection: string, key: string) => store.getJson!(collection, key) }),
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
    // Offered only when the inner store has it, so a batcher falls back to the writeLocal above.
    ...(store.writeLocalBatch && {
      async writeLocalBatch(writes: readonly BatchedWrite[], nextVersion: () => string) {
        const results = await store.writeLocalBatch!(writes, nextVersion);
        if (results.some((r) => r.ok)) notifier.notify();
        return results;
      },
    }),
    async applyRemoteBatch(changes) {
      const results = await applyRemoteAll(store, changes);
      if (results.some((r) => r === 'applied' || r === 'superseded')) notifier.notify();
      return results;
    },
    readLog: (after, limit) => store.readLog(after, limit),
    readConflicts: (options) => store.readConflicts(options),
    logHead: () => store.logHead(),
    appliedSeqs: () => store.appliedSeqs(),
    positionAfter: (applied) => store.positionAfter(applied),
    truncatedSeqs: () => store.truncatedSeqs(),
    async truncateLog(watermark) {
      const removed = await store.truncateLog(watermark);
      if (removed > 0) notifier.notifyTruncated();
      return removed;
    },
    purgeTombstones: (stable, options) => store.purgeTombstones(stable, options),
    versionFloor: () => store.versionFloor(),
    openSnapshot: () => store.openSnapshot(),
    async installSnapshotPage(page) {
      await store.installSnapshotPage(page);
      if (page.last) notifier.notifyTruncated();
    },
    stats: () => store.stats(),
    close: () => store.close(),
  };
}
