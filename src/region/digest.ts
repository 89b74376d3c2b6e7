// Digests of a region's data for `meridian verify`: per collection a count, a digest, and 64 bucket
// digests (by a hash of the key), so differing regions are narrowed down to a few buckets of keys.

import { createHash } from 'node:crypto';
import type { Store } from '../store/store.ts';

export const BUCKETS = 64;
const PAGE = 1000;

export interface CollectionDigest {
  readonly count: number;
  readonly digest: string;
  readonly buckets: readonly string[];
}

export function bucketOf(key: string): number {
  return createHash('sha1').update(key).digest()[0]! % BUCKETS;
}

/** Walks every live document of `collection` in key order. */
async function* documents(store: Store, collection: string) {
  let after: string | undefined;
  for (;;) {
    const page = await store.list(collection, { after, limit: PAGE });
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.key;
  }
}

/** Each document contributes its key, version and value, so equal digests mean equal data. */
export async function digestCollection(store: Store, collection: string): Promise<CollectionDigest> {
  const whole = createHash('sha256');
  const buckets = Array.from({ length: BUCKETS }, () => createHash('sha256'));
  let count = 0;
  for await (const doc of documents(store, collection)) {
    const line = `${doc.key}\u0000${doc.version}\u0000${JSON.stringify(doc.value)}\n`;
    whole.update(line);
    buckets[bucketOf(doc.key)]!.update(line);
    count++;
  }
  return { count, digest: whole.digest('hex'), buckets: buckets.map((h) => h.digest('hex').slice(0, 16)) };
}

/** The keys and versions of one bucket, to compare across regions. */
export async function bucketKeys(
  store: Store,
  collection: string,
  bucket: number,
): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  for await (const doc of documents(store, collection)) {
    if (bucketOf(doc.key) === bucket) keys[doc.key] = doc.version;
  }
  return keys;
}
