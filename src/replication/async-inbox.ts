// A one-consumer queue for a stream's receiving end: items in arrival order, then the end or an error.
// It watches the stream's abort signal once, rather than once per take.

import { createDoorbell } from './doorbell.ts';

export type InboxItem<T> = { readonly done: false; readonly value: T } | { readonly done: true };

export interface AsyncInbox<T> {
  push(value: T): void;
  /** Items already pushed are still taken; then take() throws `error`. */
  fail(error: unknown): void;
  /** Items already pushed are still taken; then take() reports done. */
  end(): void;
  /** The next item; done once ended or once the signal aborted. */
  take(): Promise<InboxItem<T>>;
  /** Stops watching the signal. */
  close(): void;
}

export function createAsyncInbox<T>(signal: AbortSignal): AsyncInbox<T> {
  const items: T[] = [];
  let closed: { readonly error: unknown } | 'ended' | undefined;
  const bell = createDoorbell();
  signal.addEventListener('abort', bell.ring, { once: true });

  return {
    push(value) {
      if (closed !== undefined) return;
      items.push(value);
      bell.ring();
    },
    fail(error) {
      closed ??= { error };
      bell.ring();
    },
    end() {
      closed ??= 'ended';
      bell.ring();
    },
    async take() {
      for (;;) {
        if (signal.aborted) return { done: true };
        if (items.length > 0) return { done: false, value: items.shift()! };
        if (closed === 'ended') return { done: true };
        if (closed !== undefined) throw closed.error;
        await bell.wait();
      }
    },
    close() {
      signal.removeEventListener('abort', bell.ring);
    },
  };
}
