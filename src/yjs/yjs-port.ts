// The port between the y-websocket server and whatever keeps Yjs documents (the store, replication).
// The server never touches storage: it loads states, applies client updates and listens for updates
// from elsewhere through this interface. `createMemoryYjsPort` is the in-memory implementation.

/**
 * Where a Yjs document's merged state lives. Every update is a Yjs v1 update; merging is commutative
 * and idempotent, so an implementation may deliver an update more than once or out of order.
 */
export interface YjsDocumentPort {
  /** The document's current merged state, or undefined when nothing was ever written to it. */
  load(collection: string, key: string): Promise<Uint8Array | undefined>;
  /**
   * Merges `update` into the document durably; resolves once it is. `origin` identifies the caller
   * in-process (like a Yjs transaction origin) and is handed back to subscribers with the update.
   */
  apply(collection: string, key: string, update: Uint8Array, origin?: unknown): Promise<void>;
  /**
   * Calls `onUpdate` with every update merged into the document after `subscribe` returns, from any
   * source: a local apply (with its origin) or replication (origin undefined). A subscriber should
   * not throw. Returns the unsubscribe function.
   */
  subscribe(
    collection: string,
    key: string,
    onUpdate: (update: Uint8Array, origin: unknown) => void,
  ): () => void;
}
