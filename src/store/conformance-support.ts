// Fixtures shared by the Store conformance suites: versions, writes, changes and what a caller observes.

import assert from 'node:assert/strict';
import type { JsonObject } from '../core/json.ts';
import { formatVersion } from '../core/version.ts';
import type { MergePolicy } from './merge-policy.ts';
import type { Change, DocRecord, ListOptions, LocalWrite, Precondition, Store } from './store.ts';

/** The factory options every adapter takes, for the suites that need other than the defaults. */
export interface StoreOptions {
  readonly merge?: MergePolicy;
}

/** Makes a fresh, empty store with `options` (a reopen opens it again with the same options). */
export type MakeStore = (options?: StoreOptions) => Promise<StoreFixture>;

export interface StoreFixture {
  readonly store: Store;
  /** Opens the same data again; the test closes `store` first. Absent for stores that keep nothing. */
  readonly reopen?: () => Promise<Store>;
  /** Closes whatever the fixture opened and removes whatever it created. */
  readonly cleanup: () => Promise<void>;
}

export const C = 'items';
export const LOCAL = 'us-east-1';
export const REMOTE = 'eu-west-1';

/** A version at logical time `clock`; larger clocks win. */
export function v(clock: number, region = LOCAL): string {
  return formatVersion({ wall: clock, counter: 0 }, region);
}

export function put(key: string, value: JsonObject | null, clock: number, origin = LOCAL): LocalWrite {
  return { collection: C, key, value, version: v(clock, origin), origin };
}

/** The record `write` leaves when it is its origin's change `originSeq`. */
export function recordOf(write: LocalWrite, originSeq: number): DocRecord {
  return { ...write, originSeq };
}

export function change(
  origin: string,
  originSeq: number,
  key: string,
  value: JsonObject | null,
  clock: number,
): Change {
  return { collection: C, key, value, version: v(clock, origin), origin, originSeq };
}

export const NONE: Precondition = { kind: 'none' };
export const ABSENT: Precondition = { kind: 'absent' };
export const ifVersion = (version: string): Precondition => ({ kind: 'version', version });

export async function mustWrite(store: Store, write: LocalWrite, precondition = NONE) {
  const result = await store.writeLocal(write, precondition);
  assert.ok(result.ok, `write ${write.key} was refused`);
  return result.entry;
}

export async function keys(
  store: Store,
  options: Partial<ListOptions> = {},
  collection = C,
): Promise<string[]> {
  return (await store.list(collection, { limit: 10_000, ...options })).map((d) => d.key);
}

/** Everything a caller can observe, to show that an operation changed nothing (or survived a reopen). */
export async function snapshot(store: Store, collections = [C]) {
  return {
    docs: await Promise.all(collections.map((c) => store.list(c, { limit: 10_000 }))),
    log: await store.readLog(0, 10_000),
    head: await store.logHead(),
    applied: await store.appliedSeqs(),
    truncated: await store.truncatedSeqs(),
    floor: await store.versionFloor(),
    stats: await store.stats(),
  };
}

/** What the conformance groups are built from (see storeConformance). */
export interface ConformanceSuite {
  readonly group: (title: string, body: () => void) => void;
  readonly test: (title: string, body: (store: Store) => Promise<void>) => void;
  readonly withFixture: (
    body: (fixture: StoreFixture) => Promise<void>,
    options?: StoreOptions,
  ) => Promise<void>;
}
