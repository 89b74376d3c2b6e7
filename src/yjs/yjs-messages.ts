// The y-websocket wire messages (y-protocols sync and awareness), decoded to plain data and encoded back.
//
// Every binary frame is varuint(messageType) followed by its body (lib0 encoding, as y-protocols writes):
//   sync (0):            varuint(syncType) varUint8Array(payload)
//                        step 1 (0): the sender's state vector; step 2 (1): what the receiver lacks;
//                        update (2): a change made since
//   awareness (1):       varUint8Array(awareness update: clients, clocks, JSON states)
//   auth (2):            server to client only (permission denied)
//   query awareness (3): no body; the answer is every known awareness state
// No I/O here, so the server and the tests share it. Bytes after a message are refused: the stock
// client never sends them and a strict reader turns a corrupt frame into an error, not into a guess.

import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { MeridianError } from '../core/errors.ts';

export const MessageType = { Sync: 0, Awareness: 1, Auth: 2, QueryAwareness: 3 } as const;
export const SyncType = { Step1: 0, Step2: 1, Update: 2 } as const;

export type YjsMessage =
  | { readonly type: 'sync-step-1'; readonly stateVector: Uint8Array }
  | { readonly type: 'sync-step-2'; readonly update: Uint8Array }
  | { readonly type: 'update'; readonly update: Uint8Array }
  | { readonly type: 'awareness'; readonly update: Uint8Array }
  | { readonly type: 'query-awareness' };

/** Throws MeridianError('bad_request') for a frame that is not one of the messages a client may send. */
export function decodeMessage(frame: Uint8Array): YjsMessage {
  const decoder = decoding.createDecoder(frame);
  const message = read(decoder, frame.length);
  if (decoding.hasContent(decoder)) {
    throw bad(`${frame.length - decoder.pos} unexpected bytes after a ${message.type} message`);
  }
  return message;
}

function read(decoder: decoding.Decoder, length: number): YjsMessage {
  try {
    const messageType = decoding.readVarUint(decoder);
    switch (messageType) {
      case MessageType.Sync: {
        const syncType = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        if (syncType === SyncType.Step1) return { type: 'sync-step-1', stateVector: payload };
        if (syncType === SyncType.Step2) return { type: 'sync-step-2', update: payload };
        if (syncType === SyncType.Update) return { type: 'update', update: payload };
        throw bad(`unknown sync message type ${syncType}`);
      }
      case MessageType.Awareness:
        return { type: 'awareness', update: decoding.readVarUint8Array(decoder) };
      case MessageType.QueryAwareness:
        return { type: 'query-awareness' };
      default:
        throw bad(`unsupported message type ${messageType}`);
    }
  } catch (err) {
    if (err instanceof MeridianError) throw err;
    throw bad(
      `malformed message (${length} bytes): ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
}

export function encodeSyncStep1(stateVector: Uint8Array): Uint8Array {
  return encodeSync(SyncType.Step1, stateVector);
}

export function encodeSyncStep2(update: Uint8Array): Uint8Array {
  return encodeSync(SyncType.Step2, update);
}

export function encodeUpdate(update: Uint8Array): Uint8Array {
  return encodeSync(SyncType.Update, update);
}

export function encodeAwareness(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.Awareness);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

export function encodeQueryAwareness(): Uint8Array {
  return Uint8Array.of(MessageType.QueryAwareness);
}

/** Encodes any message, the inverse of decodeMessage (tests and clients). */
export function encodeMessage(message: YjsMessage): Uint8Array {
  switch (message.type) {
    case 'sync-step-1':
      return encodeSyncStep1(message.stateVector);
    case 'sync-step-2':
      return encodeSyncStep2(message.update);
    case 'update':
      return encodeUpdate(message.update);
    case 'awareness':
      return encodeAwareness(message.update);
    case 'query-awareness':
      return encodeQueryAwareness();
  }
}

function encodeSync(syncType: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.Sync);
  encoding.writeVarUint(encoder, syncType);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}

function bad(message: string, cause?: unknown): MeridianError {
  return new MeridianError('bad_request', message, { cause });
}
