// One document's live connections on this server: updates and awareness fanned out between them.
//
// The room subscribes to the port when it opens, before any of its peers loads the document, so a
// peer always gets every update merged after its load: the ones from local clients by broadcast, the
// ones from elsewhere (replication) from the subscription. It passes itself as the apply origin and
// skips its own updates coming back through the subscription.
//
// Awareness (cursors, names) is relayed as the y-websocket reference server does: one y-protocols
// Awareness per room tracks the states each connection controls, every change goes to every peer
// (the sender too: the stock client counts it as a sign of life), and a peer's states are removed
// when it leaves. It stays in this server: awareness is not stored nor replicated.

import {
  Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from 'y-protocols/awareness';
import * as Y from 'yjs';
import { MeridianError } from '../core/errors.ts';
import { encodeAwareness, encodeUpdate } from './yjs-messages.ts';
import type { YjsDocumentRef } from './yjs-path.ts';
import type { YjsDocumentPort } from './yjs-port.ts';

/** A connection as the room sees it: something to send encoded messages to. */
export interface RoomPeer {
  send(message: Uint8Array): void;
}

export interface YjsRoom extends YjsDocumentRef {
  readonly size: number;
  join(peer: RoomPeer): void;
  /** Removes the peer and its awareness states; the room closes itself when the last peer leaves. */
  leave(peer: RoomPeer): void;
  /** Merges a peer's update through the port, then sends it to every other peer. */
  apply(update: Uint8Array, from: RoomPeer): Promise<void>;
  /** Applies a peer's awareness update (throws MeridianError for a malformed one). */
  applyAwareness(update: Uint8Array, from: RoomPeer): void;
  /** An awareness message with every known state, or undefined when there is none. */
  awarenessMessage(): Uint8Array | undefined;
}

interface AwarenessChange {
  added: number[];
  updated: number[];
  removed: number[];
}

export function openRoom(port: YjsDocumentPort, doc: YjsDocumentRef, onClose: () => void): YjsRoom {
  const { collection, key } = doc;
  const peers = new Map<RoomPeer, Set<number>>(); // peer -> awareness client ids it controls
  // Awareness wants a Y.Doc for its own client id; the room publishes no state of its own.
  const awarenessDoc = new Y.Doc();
  const awareness = new Awareness(awarenessDoc);
  awareness.setLocalState(null);

  function broadcast(message: Uint8Array, except?: RoomPeer): void {
    for (const peer of peers.keys()) if (peer !== except) peer.send(message);
  }

  awareness.on('update', ({ added, updated, removed }: AwarenessChange, origin: unknown) => {
    const controlled = peers.get(origin as RoomPeer);
    if (controlled) {
      for (const id of added) controlled.add(id);
      for (const id of removed) controlled.delete(id);
    }
    const changed = [...added, ...updated, ...removed];
    broadcast(encodeAwareness(encodeAwarenessUpdate(awareness, changed)));
  });

  let open = true;
  const room: YjsRoom = {
    collection,
    key,
    get size() {
      return peers.size;
    },

    join(peer) {
      if (!open) throw new Error(`room ${collection}/${key} is closed`);
      peers.set(peer, new Set());
    },

    leave(peer) {
      const controlled = peers.get(peer);
      if (!controlled) return;
      peers.delete(peer);
      if (controlled.size > 0) removeAwarenessStates(awareness, [...controlled], null);
      if (peers.size === 0) close();
    },

    async apply(update, from) {
      await port.apply(collection, key, update, room);
      broadcast(encodeUpdate(update), from);
    },

    applyAwareness(update, from) {
      try {
        applyAwarenessUpdate(awareness, update, from);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new MeridianError('bad_request', `malformed awareness update: ${reason}`, { cause: err });
      }
    },

    awarenessMessage() {
      const clients = [...awareness.getStates().keys()];
      return clients.length === 0 ? undefined : encodeAwareness(encodeAwarenessUpdate(awareness, clients));
    },
  };

  const unsubscribe = port.subscribe(collection, key, (update, origin) => {
    if (origin !== room) broadcast(encodeUpdate(update));
  });

  function close(): void {
    if (!open) return;
    open = false;
    unsubscribe();
    awarenessDoc.destroy(); // destroys the Awareness and its timer too
    onClose();
  }

  return room;
}
