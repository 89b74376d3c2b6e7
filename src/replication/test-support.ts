// Test fixtures for the replication unit tests: a region (memory store, notifier, clock, source) in
// virtual time, and a local write that ticks the region clock like the document service does.

import type { JsonObject } from '../core/json.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import type { LogEntry, Store } from '../store/store.ts';
import type { VirtualClock } from '../sim/virtual-clock.ts';
import { createLogNotifier, notifyingStore, type LogNotifier } from './log-notifier.ts';
import { createRegionClock, type RegionClock } from './region-clock.ts';
import { createReplicationSource } from './replication-source.ts';
import type { ReplicationSource } from './replication-port.ts';
import type { SourceTuning } from './source-tuning.ts';

export const EPOCH = 1_750_000_000_000;

export interface TestRegion {
  readonly name: string;
  readonly store: Store;
  readonly notifier: LogNotifier;
  readonly regionClock: RegionClock;
  readonly source: ReplicationSource;
  /** Physical clock skew against virtual time, in ms. */
  skewMs: number;
  write(key: string, value: JsonObject | null): Promise<LogEntry>;
}

export function testRegion(
  name: string,
  clock: VirtualClock,
  options: { maxOffsetMs?: number; tuning?: Partial<SourceTuning> } = {},
): TestRegion {
  const notifier = createLogNotifier();
  const store = notifyingStore(createMemoryStore(), notifier);
  const region: TestRegion = {
    name,
    store,
    notifier,
    skewMs: 0,
    regionClock: createRegionClock({
      region: name,
      now: () => clock.now() + region.skewMs,
      maxOffsetMs: options.maxOffsetMs ?? 500,
    }),
    source: createReplicationSource({
      region: name,
      store,
      appends: notifier,
      clock,
      tuning: options.tuning,
    }),
    async write(key, value) {
      const result = await store.writeLocal(
        { collection: 'c', key, value, version: region.regionClock.tick(), origin: name },
        { kind: 'none' },
      );
      if (!result.ok) throw new Error(`write ${key} refused`);
      return result.entry;
    },
  };
  return region;
}

/** Collects an async iterable's items as they arrive, until the signal aborts. */
export function collect<T>(iterable: AsyncIterable<T>): { items: T[]; error: unknown; done: Promise<void> } {
  const out: { items: T[]; error: unknown; done: Promise<void> } = {
    items: [],
    error: undefined,
    done: Promise.resolve(),
  };
  out.done = (async () => {
    try {
      for await (const item of iterable) out.items.push(item);
    } catch (err) {
      out.error = err;
    }
  })();
  return out;
}
