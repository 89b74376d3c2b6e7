import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { MeridianError } from '../core/errors.ts';
import { decodeMessage, encodeMessage, type YjsMessage } from './yjs-messages.ts';
import { parseYjsPath, yjsDocumentPath } from './yjs-path.ts';

const message: fc.Arbitrary<YjsMessage> = fc.oneof(
  fc.uint8Array().map((stateVector) => ({ type: 'sync-step-1' as const, stateVector })),
  fc.uint8Array().map((update) => ({ type: 'sync-step-2' as const, update })),
  fc.uint8Array().map((update) => ({ type: 'update' as const, update })),
  fc.uint8Array().map((update) => ({ type: 'awareness' as const, update })),
  fc.constant({ type: 'query-awareness' as const }),
);

describe('y-websocket messages', () => {
  it('round-trips every message', () => {
    fc.assert(
      fc.property(message, (m) => {
        assert.deepEqual(decodeMessage(encodeMessage(m)), m);
      }),
    );
  });

  it('reads what y-protocols writes', () => {
    const doc = new Y.Doc();
    doc.getText('text').insert(0, 'hi');
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 0);
    syncProtocol.writeSyncStep1(encoder, doc);
    assert.deepEqual(decodeMessage(encoding.toUint8Array(encoder)), {
      type: 'sync-step-1',
      stateVector: Y.encodeStateVector(doc),
    });
  });

  it('refuses malformed frames with a MeridianError (400)', () => {
    const bad: Array<[number[], RegExp]> = [
      [[], /malformed message \(0 bytes\)/],
      [[0], /malformed message/],
      [[0, 7, 0], /unknown sync message type 7/],
      [[0, 2, 5, 1], /malformed message/],
      [[2, 0], /unsupported message type 2/],
      [[9], /unsupported message type 9/],
      [[3, 0], /1 unexpected bytes after a query-awareness message/],
      [[255, 255, 255, 255, 255, 255, 255, 255, 255, 255], /malformed message/],
    ];
    for (const [bytes, pattern] of bad) {
      assert.throws(
        () => decodeMessage(Uint8Array.from(bytes)),
        (err: unknown) => err instanceof MeridianError && err.status === 400 && pattern.test(err.message),
        JSON.stringify(bytes),
      );
    }
  });
});

describe('Yjs document paths', () => {
  it('round-trips any collection name and key', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
        fc.string({ minLength: 1 }),
        (collection, key) => {
          fc.pre(!/[\u0000-\u001f\u007f]/.test(key));
          assert.deepEqual(parseYjsPath(yjsDocumentPath({ collection, key }) + '?x=1'), { collection, key });
        },
      ),
    );
  });

  it('leaves other paths alone and refuses bad Yjs paths', () => {
    for (const path of [
      '/',
      '/v1/collections/notes/docs/a',
      '/v2/collections/notes/yjs/a',
      '/v1/collections',
    ]) {
      assert.equal(parseYjsPath(path), undefined, path);
    }
    const bad: Array<[string, RegExp]> = [
      ['/v1/collections/notes/yjs', /percent-encode any "\/"/],
      ['/v1/collections/notes/yjs/', /percent-encode/],
      ['/v1/collections/notes/yjs/a/b', /percent-encode/],
      ['/v1/collections/no%20tes/yjs/a', /not a collection name/],
      ['/v1/collections/notes/yjs/%E0%A4%A', /not valid percent-encoding/],
      ['/v1/collections/notes/yjs/a%00b', /control character/],
    ];
    for (const [path, pattern] of bad) {
      assert.throws(
        () => parseYjsPath(path),
        (err: unknown) => err instanceof MeridianError && err.status === 400 && pattern.test(err.message),
        path,
      );
    }
  });
});
