// The y-websocket server's view of a region's Yjs documents: states come from the store, a client's
// update is a local write (merged into the stored state), and updates from elsewhere (replication, or
// the HTTP API) reach every client attached here.

import { MeridianError } from '../core/errors.ts';
import type { JsonObject } from '../core/json.ts';
import { conflictRule, type MeridianConfig } from '../config/schema.ts';
import type { YjsDocumentPort } from '../yjs/yjs-port.ts';
import { decodeState } from '../yjs/yjs-state.ts';
import { policyWrite } from './conflict-documents.ts';
import type { DocumentService } from './documents.ts';

export interface RegionYjsPort extends YjsDocumentPort {
  /** Refuses a connection to a collection that is not a Yjs collection. */
  admit(collection: string): void;
  /** A change of the document arrived by replication: send its merged state to the attached clients. */
  changed(collection: string, key: string): Promise<void>;
  /** An update written here by another path (HTTP): send it to the attached clients. */
  written(collection: string, key: string, update: Uint8Array): void;
}

export function createRegionYjsPort(options: {
  readonly config: MeridianConfig;
  readonly region: string;
  readonly documents: DocumentService;
  readonly now: () => number;
}): RegionYjsPort {
  const { config, documents } = options;
  const listeners = new Map<string, Set<(update: Uint8Array, origin: unknown) => void>>();
  const id = (collection: string, key: string) => `${collection}\u0000${key}`;
  const notify = (collection: string, key: string, update: Uint8Array, origin: unknown) => {
    for (const listener of listeners.get(id(collection, key)) ?? []) listener(update, origin);
  };

  async function load(collection: string, key: string): Promise<Uint8Array | undefined> {
    const stored = await documents.record(collection, key);
    if (stored?.json == null) return undefined;
    return decodeState(JSON.parse(stored.json) as JsonObject);
  }

  return {
    admit(collection) {
      const c = config.collections[collection];
      if (c === undefined || conflictRule(c) !== 'yjs') {
        throw new MeridianError(
          c === undefined ? 'unknown_collection' : 'bad_request',
          c === undefined
            ? `unknown collection '${collection}'`
            : `collection '${collection}' is not a Yjs collection (conflict: 'yjs')`,
        );
      }
    },
    load,
    async apply(collection, key, update, origin) {
      const compute = policyWrite(
        'yjs',
        { kind: 'yjs', update },
        { region: options.region, nowMs: options.now() },
      );
      await documents.update(collection, key, compute!);
      notify(collection, key, update, origin);
    },
    subscribe(collection, key, onUpdate) {
      const k = id(collection, key);
      let set = listeners.get(k);
      if (set === undefined) listeners.set(k, (set = new Set()));
      set.add(onUpdate);
      return () => {
        set.delete(onUpdate);
        if (set.size === 0) listeners.delete(k);
      };
    },
    async changed(collection, key) {
      if (!listeners.has(id(collection, key))) return;
      const state = await load(collection, key);
      if (state !== undefined) notify(collection, key, state, undefined);
    },
    written(collection, key, update) {
      notify(collection, key, update, undefined);
    },
  };
}
