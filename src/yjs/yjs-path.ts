// Where a Yjs document is served: /v1/collections/{collection}/yjs/{key}, each segment percent-encoded.
//
// The stock y-websocket client connects to `${serverUrl}/${roomname}`, so a client passes
// `ws://host/v1/collections/notes/yjs` as the server url and `encodeURIComponent(key)` as the room.

import { COLLECTION_NAME_RE } from '../config/schema.ts';
import { MeridianError } from '../core/errors.ts';

export interface YjsDocumentRef {
  readonly collection: string;
  readonly key: string;
}

/** The path of a document's y-websocket endpoint. */
export function yjsDocumentPath(doc: YjsDocumentRef): string {
  return `/v1/collections/${encodeURIComponent(doc.collection)}/yjs/${encodeURIComponent(doc.key)}`;
}

/**
 * The document a request path (query string allowed) names; `undefined` when the path is not a Yjs
 * document path at all. Throws MeridianError (400) for a Yjs path with a bad collection or key.
 */
export function parseYjsPath(url: string): YjsDocumentRef | undefined {
  const path = url.split('?', 1)[0] ?? '';
  const parts = path.split('/');
  if (
    parts.length < 5 ||
    parts[0] !== '' ||
    parts[1] !== 'v1' ||
    parts[2] !== 'collections' ||
    parts[4] !== 'yjs'
  ) {
    return undefined;
  }
  if (parts.length !== 6 || parts[5] === '') {
    throw new MeridianError(
      'invalid_key',
      'a Yjs document path is /v1/collections/{collection}/yjs/{key}: percent-encode any "/" in the key',
    );
  }
  const collection = decode(parts[3]!, 'collection');
  if (!COLLECTION_NAME_RE.test(collection)) {
    throw new MeridianError(
      'bad_request',
      `collection ${JSON.stringify(collection)} is not a collection name (letters, digits, '_' and '-', 1 to 64)`,
      { details: { collection } },
    );
  }
  const key = decode(parts[5]!, 'key');
  if (/[\u0000-\u001f\u007f]/.test(key)) {
    throw new MeridianError('invalid_key', `key ${JSON.stringify(key)} contains a control character`, {
      details: { collection },
    });
  }
  return { collection, key };
}

function decode(segment: string, what: 'collection' | 'key'): string {
  try {
    return decodeURIComponent(segment);
  } catch (err) {
    throw new MeridianError(
      what === 'key' ? 'invalid_key' : 'bad_request',
      `the ${what} in the path is not valid percent-encoding: ${JSON.stringify(segment)}`,
      { cause: err },
    );
  }
}
