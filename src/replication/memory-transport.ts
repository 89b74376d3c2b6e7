// An in-process ReplicationTransport: pull() runs the peer's ReplicationSource.serve() directly and
// carries each batch across a MemoryNetwork that delays, duplicates, reorders, breaks or stalls it.

import type { Clock } from '../core/clock.ts';
import { ErrorCode, MeridianError } from '../core/errors.ts';
import { linkedAbort, untilAborted, type LinkedAbort } from './abortable.ts';
import { createAsyncInbox, type AsyncInbox } from './async-inbox.ts';
import { reliableNetwork, type MemoryNetwork } from './memory-network.ts';
import type {
  PullRequest,
  ReplicationBatch,
  ReplicationSource,
  ReplicationTransport,
} from './replication-port.ts';

export interface MemoryTransportOptions {
  /** The source serving `region`'s log, or undefined while that region is down. */
  readonly sources: (region: string) => ReplicationSource | undefined;
  /** Timers for network delays: virtual in the simulator. */
  readonly clock: Clock;
  readonly network?: MemoryNetwork;
}

export interface MemoryTransport extends ReplicationTransport {
  /**
   * Fails every open stream to or from `region` at once (the region crashed), or only those between
   * `region` and `other` (that link was reset).
   */
  breakStreams(region: string, other?: string): void;
  /** Streams currently open. */
  openStreams(): number;
}

interface OpenStream {
  readonly puller: string;
  readonly peer: string;
  readonly inbox: AsyncInbox<ReplicationBatch>;
  readonly link: LinkedAbort;
}

export function createMemoryTransport(options: MemoryTransportOptions): MemoryTransport {
  const { sources, clock } = options;
  const network = options.network ?? reliableNetwork();
  const open = new Set<OpenStream>();

  function fail(stream: OpenStream, message: string): void {
    stream.inbox.fail(streamError(stream, message));
    stream.link.abort();
  }

  /** Runs at `delayMs` from now unless the stream is gone by then. */
  function later(stream: OpenStream, delayMs: number, run: () => void): void {
    // No signal passed: a busy stream would pile abort listeners on it; a dead stream's timer is a no-op.
    void clock.sleep(Math.max(0, delayMs)).then(() => {
      if (!stream.link.signal.aborted) run();
    });
  }

  /** Reads the peer's source and schedules each batch's arrival according to the network. */
  async function pump(stream: OpenStream, source: ReplicationSource, request: PullRequest): Promise<void> {
    const { puller, peer, inbox, link } = stream;
    let inOrderAt = clock.now();
    const inOrder = (delayMs: number) =>
      (inOrderAt = Math.max(inOrderAt, clock.now() + delayMs)) - clock.now();
    try {
      for await (const batch of source.serve(request, link.signal)) {
        if (link.signal.aborted) return;
        const fate = network.batch(puller, peer, batch);
        switch (fate.kind) {
          case 'deliver':
            later(stream, inOrder(fate.delayMs), () => inbox.push(batch));
            break;
          case 'reorder':
            later(stream, fate.delayMs, () => inbox.push(batch));
            break;
          case 'duplicate':
            later(stream, inOrder(fate.delayMs), () => inbox.push(batch));
            later(stream, fate.againMs, () => inbox.push(batch));
            break;
          case 'break':
            later(stream, fate.delayMs, () => fail(stream, 'connection reset'));
            return;
          case 'stall':
            await untilAborted(link.signal);
            return;
        }
      }
      later(stream, inOrder(0), () => inbox.end());
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      later(stream, inOrder(0), () => fail(stream, `the source failed: ${message}`));
    }
  }

  async function* pull(
    peer: string,
    request: PullRequest,
    signal: AbortSignal,
  ): AsyncGenerator<ReplicationBatch> {
    const stream: OpenStream = {
      puller: request.region,
      peer,
      inbox: createAsyncInbox(signal),
      link: linkedAbort(signal),
    };
    open.add(stream);
    try {
      const fate = network.connect(stream.puller, peer);
      if (fate.kind === 'hang') {
        await untilAborted(stream.link.signal);
        return;
      }
      await clock.sleep(fate.delayMs, stream.link.signal);
      const source = fate.kind === 'connect' ? sources(peer) : undefined;
      if (!stream.link.signal.aborted) {
        if (source === undefined) throw streamError(stream, 'connection refused');
        void pump(stream, source, request);
      }
      for (;;) {
        const item = await stream.inbox.take();
        if (item.done) return;
        yield item.value;
      }
    } finally {
      stream.link.abort();
      stream.link.release();
      stream.inbox.close();
      open.delete(stream);
    }
  }

  return {
    pull,
    breakStreams(region, other) {
      const between = (x: string, y: string) => x === region && (other === undefined || y === other);
      for (const stream of [...open]) {
        if (between(stream.puller, stream.peer) || between(stream.peer, stream.puller))
          fail(stream, 'connection reset');
      }
    },
    openStreams: () => open.size,
  };
}

function streamError(stream: { puller: string; peer: string }, message: string): MeridianError {
  return new MeridianError(
    ErrorCode.RegionUnavailable,
    `replication stream ${stream.peer} -> ${stream.puller}: ${message}`,
    {
      details: { peer: stream.peer, puller: stream.puller },
    },
  );
}
