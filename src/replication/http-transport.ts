// The network ReplicationTransport: one long-lived HTTP stream per upstream peer (through the WAN
// emulator locally), carrying authenticated, compressed frames (src/protocol/replication-frame.ts).

import { Pool } from 'undici';
import { MeridianError } from '../core/errors.ts';
import { AUTH_HEADER, signPull } from '../protocol/pull-auth.ts';
import { FrameReader, deriveStreamKey } from '../protocol/replication-frame.ts';
import type { Change } from '../store/store.ts';
import type { PullRequest, ReplicationBatch, ReplicationTransport } from './replication-port.ts';

export const PULL_PATH = '/v1/replication/pull';

export interface HttpTransportOptions {
  readonly region: string;
  readonly secret: string;
  /** How this region reaches each peer. */
  readonly peerUrls: Readonly<Record<string, string>>;
  readonly now: () => number;
  /** Bytes received per peer, for the wire metrics. */
  readonly onBytes?: (peer: string, bytes: number) => void;
}

export interface HttpTransport extends ReplicationTransport {
  close(): Promise<void>;
}

export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const pools = new Map<string, Pool>();

  function pool(peer: string): Pool {
    let p = pools.get(peer);
    if (!p) {
      const url = options.peerUrls[peer];
      if (!url) throw new MeridianError('invalid_config', `no URL for peer '${peer}' of ${options.region}`);
      p = new Pool(url, { connections: 2, keepAliveTimeout: 60_000 });
      pools.set(peer, p);
    }
    return p;
  }

  return {
    async *pull(peer: string, request: PullRequest, signal: AbortSignal): AsyncGenerator<ReplicationBatch> {
      const { body, mac, nonce } = signPull(options.secret, request, options.now());
      const res = await pool(peer).request({
        method: 'POST',
        path: PULL_PATH,
        body,
        headers: { 'content-type': 'application/json', [AUTH_HEADER]: mac },
        signal,
        headersTimeout: 10_000,
        // The replicator's idle watchdog ends a silent stream; heartbeats keep a healthy one busy.
        bodyTimeout: 0,
      });
      if (res.statusCode !== 200) {
        const text = await res.body.text().catch(() => '');
        throw new MeridianError(
          'unavailable',
          `${peer} refused the replication stream: HTTP ${res.statusCode} ${text.slice(0, 300)}`,
        );
      }
      const reader = new FrameReader(deriveStreamKey(options.secret, peer, request.region, nonce));
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        options.onBytes?.(peer, chunk.length);
        for (const value of reader.push(chunk)) yield toBatch(peer, value);
      }
      reader.end();
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.destroy()));
      pools.clear();
    },
  };
}

/** Frames are authenticated, so a bad shape is a bug on the sender's side: fail the stream loudly. */
function toBatch(peer: string, value: unknown): ReplicationBatch {
  const batch = value as ReplicationBatch;
  if (
    typeof batch !== 'object' ||
    batch === null ||
    batch.from !== peer ||
    !Array.isArray(batch.entries) ||
    typeof batch.senderHead !== 'number'
  ) {
    throw new MeridianError('internal', `malformed replication batch from ${peer}`);
  }
  const { snapshot, progress } = batch as Partial<ReplicationBatch>;
  if (progress !== undefined && (typeof progress !== 'object' || progress === null)) {
    throw new MeridianError('internal', `malformed progress in a batch from ${peer}`);
  }
  if (snapshot !== undefined) {
    if (
      typeof snapshot !== 'object' ||
      snapshot === null ||
      typeof snapshot.part !== 'number' ||
      typeof snapshot.last !== 'boolean' ||
      typeof snapshot.applied !== 'object' ||
      !Array.isArray(snapshot.records)
    ) {
      throw new MeridianError('internal', `malformed snapshot part in a batch from ${peer}`);
    }
    checkChanges(peer, snapshot.records, 'snapshot record');
  }
  checkChanges(peer, batch.entries, 'log entry');
  return batch;
}

function checkChanges(peer: string, changes: readonly Change[], what: string): void {
  for (const e of changes) {
    if (
      typeof e.origin !== 'string' ||
      typeof e.originSeq !== 'number' ||
      typeof e.version !== 'string' ||
      typeof e.key !== 'string' ||
      typeof e.collection !== 'string'
    ) {
      throw new MeridianError('internal', `malformed ${what} in a batch from ${peer}`);
    }
  }
}
