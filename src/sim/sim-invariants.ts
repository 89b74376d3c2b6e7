// The properties every run must end with: convergence, no acknowledged write lost, per-origin order in
// every log, and exactly-once application; and, where the log is collected, that collection happened.
// Each violation is a sentence naming regions, keys and seqs.

import type { JsonObject } from '../core/json.ts';
import { compareVersions } from '../core/version.ts';
import type { DocRecord, Store } from '../store/store.ts';

/** A local write the store acknowledged, as the client saw it. */
export interface AckedWrite {
  readonly origin: string;
  readonly originSeq: number;
  readonly collection: string;
  readonly key: string;
  readonly version: string;
  readonly value: JsonObject | null;
}

export interface CheckedRegion {
  readonly name: string;
  readonly store: Store;
}

export interface InvariantInput {
  readonly regions: readonly CheckedRegion[];
  readonly acked: readonly AckedWrite[];
  readonly collection: string;
  readonly keys: readonly string[];
}

export async function checkInvariants(input: InvariantInput): Promise<string[]> {
  return [...(await checkDocuments(input)), ...(await checkLogs(input))];
}

/**
 * (1) every region shows the same thing for every key; (2) it is the newest acknowledged write. A purged
 * tombstone shows as nothing: a region may hold the newest write's tombstone, or nothing, when that is a delete.
 */
export async function checkDocuments({
  regions,
  acked,
  collection,
  keys,
}: InvariantInput): Promise<string[]> {
  const violations: string[] = [];
  for (const key of keys) {
    const newest = acked
      .filter((w) => w.collection === collection && w.key === key)
      .reduce<AckedWrite | undefined>(
        (best, w) => (best === undefined || compareVersions(w.version, best.version) > 0 ? w : best),
        undefined,
      );
    const held = await Promise.all(
      regions.map(async (r) => ({ region: r.name, doc: await r.store.get(collection, key) })),
    );
    const shown = held.map(({ region, doc }) => `${region}: ${describe(doc)}`);
    if (new Set(held.map(({ doc }) => visible(doc))).size > 1) {
      violations.push(`convergence: ${collection}/${key} differs between regions (${shown.join('; ')})`);
    }
    for (const { region, doc } of held) {
      if (!sameRecord(doc, newest)) {
        const expected =
          newest === undefined ? 'nothing' : `${newest.version} (${newest.origin}#${newest.originSeq})`;
        violations.push(
          `lost write: ${region} holds ${collection}/${key} as ${describe(doc)}, the newest acknowledged write is ${expected}`,
        );
      }
    }
  }
  return violations;
}

/**
 * (3) each origin's changes appear in seq order in every log, from just after where the log was truncated
 * (or a snapshot covered it) to the applied seq; (4) each exactly once, all of them.
 */
async function checkLogs({ regions, acked }: InvariantInput): Promise<string[]> {
  const violations: string[] = [];
  const byOrigin = new Map<string, AckedWrite[]>();
  for (const w of acked) byOrigin.set(w.origin, [...(byOrigin.get(w.origin) ?? []), w]);
  for (const writes of byOrigin.values()) writes.sort((a, b) => a.originSeq - b.originSeq);
  for (const region of regions) {
    const log = await region.store.readLog(0, Infinity);
    const truncated = await region.store.truncatedSeqs();
    const last = new Map<string, number>(Object.entries(truncated));
    for (const entry of log) {
      const previous = last.get(entry.origin) ?? 0;
      if (entry.originSeq !== previous + 1) {
        violations.push(
          `order: ${region.name} logs ${entry.origin}#${entry.originSeq} right after ${entry.origin}#${previous} (position ${entry.position})`,
        );
      }
      last.set(entry.origin, Math.max(previous, entry.originSeq));
      const write = byOrigin.get(entry.origin)?.[entry.originSeq - 1];
      if (write === undefined || write.version !== entry.version) {
        violations.push(
          `exactly-once: ${region.name} logs ${entry.origin}#${entry.originSeq} at ${entry.version}, but ${entry.origin} acknowledged ${write?.version ?? 'no such write'}`,
        );
      }
    }
    const applied = await region.store.appliedSeqs();
    for (const origin of new Set([...byOrigin.keys(), ...Object.keys(applied)])) {
      const expected = byOrigin.get(origin)?.length ?? 0;
      const got = applied[origin] ?? 0;
      if (got !== expected) {
        violations.push(
          `exactly-once: ${region.name} applied ${origin} up to #${got}, but ${origin} acknowledged ${expected} writes`,
        );
      }
    }
    const expected = Object.entries(applied).reduce((n, [o, seq]) => n + seq - (truncated[o] ?? 0), 0);
    if (log.length !== expected) {
      violations.push(
        `exactly-once: ${region.name} logs ${log.length} changes, but applied minus truncated is ${expected}`,
      );
    }
  }
  return violations;
}

/**
 * (5) collection is not a no-op: once every region has everything, every log is empty and every
 * tombstone purged (for runs that collect).
 */
export async function checkCollected(regions: readonly CheckedRegion[]): Promise<string[]> {
  const violations: string[] = [];
  for (const region of regions) {
    const { logEntries, tombstones } = await region.store.stats();
    if (logEntries > 0 || tombstones > 0) {
      violations.push(
        `collection: ${region.name} still logs ${logEntries} changes and holds ${tombstones} tombstones after every region has everything`,
      );
    }
  }
  return violations;
}

/** What a reader sees: a live document's version and value, or that there is none. */
function visible(doc: DocRecord | undefined): string {
  return doc === undefined || doc.value === null ? 'nothing' : describe(doc);
}

function describe(doc: DocRecord | undefined): string {
  if (doc === undefined) return 'nothing';
  return `${doc.version}=${doc.value === null ? 'deleted' : JSON.stringify(doc.value)}`;
}

function sameRecord(doc: DocRecord | undefined, write: AckedWrite | undefined): boolean {
  if (doc === undefined) return write === undefined || write.value === null;
  if (write === undefined) return false;
  return doc.version === write.version && JSON.stringify(doc.value) === JSON.stringify(write.value);
}
