// In-memory YjsDocumentPort for tests: one merged state per document, subscribers told of every apply.

import { applyUpdate, compactState, emptyState } from './yjs-state.ts';
import type { YjsDocumentPort } from './yjs-port.ts';

export interface MemoryYjsPort extends YjsDocumentPort {
  /** The merged state now (undefined if never written). */
  stateOf(collection: string, key: string): Uint8Array | undefined;
  /** How many subscriptions are open, over all documents (tests check that servers clean up). */
  subscriptionCount(): number;
}

interface Entry {
  state: Uint8Array | undefined;
  /** Size of the state after its last compaction. */
  compactBytes: number;
  readonly subscribers: Set<(update: Uint8Array, origin: unknown) => void>;
}

// Merged updates keep deleted text and one struct per keystroke (see yjs-state.ts); compacting once
// the state has doubled keeps it near its canonical size at an amortised O(1) Y.Doc load per byte.
const COMPACT_SLACK_BYTES = 4096;

export function createMemoryYjsPort(): MemoryYjsPort {
  const docs = new Map<string, Entry>();

  function entry(collection: string, key: string): Entry {
    const id = `${collection}\u0000${key}`;
    let e = docs.get(id);
    if (!e) {
      e = { state: undefined, compactBytes: 0, subscribers: new Set() };
      docs.set(id, e);
    }
    return e;
  }

  return {
    async load(collection, key) {
      return entry(collection, key).state;
    },

    async apply(collection, key, update, origin) {
      const e = entry(collection, key);
      let state = applyUpdate(e.state ?? emptyState(), update);
      if (state.length > 2 * e.compactBytes + COMPACT_SLACK_BYTES) {
        state = compactState(state);
        e.compactBytes = state.length;
      }
      e.state = state;
      for (const onUpdate of [...e.subscribers]) {
        try {
          onUpdate(update, origin);
        } catch (err) {
          // One broken subscriber must not starve the others; rethrown where a test will see it.
          queueMicrotask(() => {
            throw err;
          });
        }
      }
    },

    subscribe(collection, key, onUpdate) {
      const subscribers = entry(collection, key).subscribers;
      const subscriber = (update: Uint8Array, origin: unknown) => onUpdate(update, origin);
      subscribers.add(subscriber);
      return () => {
        subscribers.delete(subscriber);
      };
    },

    stateOf(collection, key) {
      return docs.get(`${collection}\u0000${key}`)?.state;
    },

    subscriptionCount() {
      let n = 0;
      for (const e of docs.values()) n += e.subscribers.size;
      return n;
    },
  };
}
