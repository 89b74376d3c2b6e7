// POST /v1/replication/pull: serves this region's log to an authenticated peer as a stream of frames.

import { once } from 'node:events';
import type { FastifyInstance } from 'fastify';
import { MeridianError } from '../core/errors.ts';
import { AUTH_HEADER, type PullVerifier } from '../protocol/pull-auth.ts';
import { deriveStreamKey, encodeFrame } from '../protocol/replication-frame.ts';
import { PULL_PATH } from '../replication/http-transport.ts';
import type { ReplicationSource } from '../replication/replication-port.ts';

export interface ReplicationRouteOptions {
  readonly region: string;
  readonly secret: string;
  readonly verifier: PullVerifier;
  readonly source: ReplicationSource;
  readonly now: () => number;
  /** A stream was refused (bad MAC, unknown peer, replay): counted and logged. */
  readonly onRejected: (reason: string) => void;
  /** Bytes of one frame sent to `peer`: raw JSON and on the wire. */
  readonly onFrame: (peer: string, rawBytes: number, wireBytes: number, entries: number) => void;
}

export function registerReplicationRoute(app: FastifyInstance, options: ReplicationRouteOptions): void {
  // The MAC covers the exact bytes of the body, so keep them as text.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: 1024 * 1024 },
      (_req, body, done) => done(null, body),
    );
    scope.post(PULL_PATH, async (request, reply) => {
      const auth = request.headers[AUTH_HEADER];
      const verdict = options.verifier.verify(
        typeof request.body === 'string' ? request.body : '',
        typeof auth === 'string' ? auth : undefined,
        options.now(),
      );
      if (!verdict.ok) {
        options.onRejected(verdict.reason);
        request.log.warn({ reason: verdict.reason, from: request.ip }, 'replication stream refused');
        throw new MeridianError('bad_request', `replication stream refused: ${verdict.reason}`, {
          status: 401,
        });
      }
      const { pull } = verdict;
      const key = deriveStreamKey(options.secret, options.region, pull.region, pull.nonce);
      const abort = new AbortController();
      const res = reply.raw;
      reply.hijack();
      res.on('close', () => abort.abort());
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
      let seq = 0;
      try {
        for await (const batch of options.source.serve(
          { region: pull.region, applied: pull.applied },
          abort.signal,
        )) {
          const frame = encodeFrame(key, seq++, batch);
          const changes = batch.entries.length + (batch.snapshot?.records.length ?? 0);
          options.onFrame(pull.region, frame.rawBytes, frame.bytes.length, changes);
          if (!res.write(frame.bytes)) {
            // Back-pressure: the peer (or the WAN) is slower than the log grows; wait rather than buffer.
            await once(res, 'drain', { signal: abort.signal }).catch(() => undefined);
          }
          if (abort.signal.aborted) break;
        }
      } catch (err) {
        request.log.error({ err, peer: pull.region }, 'replication stream failed');
      } finally {
        abort.abort();
        res.end();
      }
    });
  });
}
