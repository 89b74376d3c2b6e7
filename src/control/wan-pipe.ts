// One direction of an emulated connection: a FIFO of timed chunks drained by one timer, held while cut.
import type { Socket } from 'node:net';
import { IDLE_WIRE, scheduleChunk } from './wan-schedule.ts';
import type { LinkShape, WireState } from './wan-schedule.ts';

/** What crosses the wire: bytes, a FIN (half-close) or a reset (the source failed or was destroyed). */
type Entry =
  | { readonly kind: 'data'; readonly deliverAt: number; readonly chunk: Buffer }
  | { readonly kind: 'end' | 'reset'; readonly deliverAt: number };

export interface WanPipeOptions {
  readonly source: Socket;
  readonly sink: Socket;
  /** Read for every chunk, so a change of latency, jitter or bandwidth applies to bytes arriving after it. */
  readonly shape: () => LinkShape;
  readonly random: () => number;
  readonly now: () => number;
  /** Pause the source above this many queued bytes; resume at half of it. */
  readonly highWaterBytes: number;
  readonly onDeliver: (bytes: number) => void;
}

export interface WanPipe {
  /** Stop delivering: queued and newly arriving bytes wait, in order (a partition). */
  hold(): void;
  /** Deliver again: everything whose time has come goes at once, in order, then the rest on time. */
  release(): void;
  queuedBytes(): number;
  /** Drop the queue and the timer; for a connection whose sockets are both closed. */
  dispose(): void;
}

export function createWanPipe(options: WanPipeOptions): WanPipe {
  const { source, sink } = options;
  const queue: Entry[] = [];
  let head = 0; // queue[head] is the next entry due; earlier slots are spent
  let wire: WireState = IDLE_WIRE;
  let queued = 0;
  let held = false;
  let timer: NodeJS.Timeout | undefined;
  let sinkBlocked = false;
  let sourcePaused = false;
  let sourceFinished = false;
  let writesInFlight = 0;
  let resetWhenFlushed = false;
  let disposed = false;

  function enqueue(bytes: number, entryAt: (deliverAt: number) => Entry): void {
    if (disposed) return;
    const scheduled = scheduleChunk(wire, options.now(), bytes, options.shape(), options.random);
    wire = scheduled.wire;
    queue.push(entryAt(scheduled.deliverAt));
    queued += bytes;
    // Delivery times never decrease, so only a new head needs the timer re-armed.
    if (queue.length - head === 1) pump();
  }

  function pump(): void {
    clearTimer();
    if (held || sinkBlocked || disposed) return;
    const now = options.now();
    while (head < queue.length) {
      const entry = queue[head]!;
      if (entry.deliverAt > now) {
        // One timer for the head only; it re-checks the clock, so a timer firing early never delivers early.
        timer = setTimeout(pump, Math.ceil(entry.deliverAt - now));
        return;
      }
      head += 1;
      deliver(entry);
      if (sinkBlocked) break;
    }
    compact();
  }

  function deliver(entry: Entry): void {
    if (entry.kind === 'data') {
      queued -= entry.chunk.length;
      resumeSourceIfDrained();
      if (sink.destroyed) return;
      writesInFlight += 1;
      const flushed = sink.write(entry.chunk, onWritten);
      options.onDeliver(entry.chunk.length);
      if (!flushed) {
        sinkBlocked = true;
        sink.once('drain', () => {
          sinkBlocked = false;
          pump();
        });
      }
    } else if (entry.kind === 'end') {
      if (!sink.destroyed) sink.end();
    } else if (writesInFlight === 0) {
      resetSink();
    } else {
      resetWhenFlushed = true; // the bytes queued before the failure go first
    }
  }

  function onWritten(): void {
    writesInFlight -= 1;
    if (resetWhenFlushed && writesInFlight === 0) resetSink();
  }

  function resetSink(): void {
    if (!sink.destroyed) sink.resetAndDestroy();
  }

  function resumeSourceIfDrained(): void {
    if (sourcePaused && queued <= options.highWaterBytes / 2) {
      sourcePaused = false;
      source.resume();
    }
  }

  function compact(): void {
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
  }

  function clearTimer(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  }

  source.on('data', (chunk: Buffer) => {
    enqueue(chunk.length, (deliverAt) => ({ kind: 'data', deliverAt, chunk }));
    if (!sourcePaused && queued > options.highWaterBytes) {
      sourcePaused = true; // back-pressure: TCP flow control then slows the sender
      source.pause();
    }
  });
  source.on('end', () => {
    sourceFinished = true;
    enqueue(0, (deliverAt) => ({ kind: 'end', deliverAt }));
  });
  // A failed source always closes next; 'close' queues the reset, so the error needs no more handling here.
  source.on('error', () => undefined);
  source.on('close', () => {
    if (sourceFinished) return;
    sourceFinished = true;
    enqueue(0, (deliverAt) => ({ kind: 'reset', deliverAt }));
  });

  return {
    hold() {
      held = true;
      clearTimer();
    },
    release() {
      held = false;
      pump();
    },
    queuedBytes: () => queued,
    dispose() {
      disposed = true;
      clearTimer();
      queue.length = 0;
      head = 0;
      queued = 0;
    },
  };
}
