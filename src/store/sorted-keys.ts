// A sorted set of keys in compareKeys order, kept as a list of small sorted chunks (the layout of
// Python's sortedcontainers) so that an insert moves at most one chunk, not the whole array.

import { compareKeys, searchKeys } from './key-order.ts';

const MAX_CHUNK = 512;

export class SortedKeys {
  /** Non-empty sorted chunks; every key in a chunk sorts before every key in the next one. */
  readonly #chunks: string[][] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(key: string): void {
    if (this.#chunks.length === 0) {
      this.#chunks.push([key]);
      this.#size = 1;
      return;
    }
    const c = this.#chunkFor(key);
    const chunk = this.#chunks[c]!;
    const i = searchKeys(chunk, key, false);
    if (chunk[i] === key) return;
    chunk.splice(i, 0, key);
    this.#size++;
    if (chunk.length > MAX_CHUNK) this.#chunks.splice(c + 1, 0, chunk.splice(MAX_CHUNK / 2));
  }

  delete(key: string): void {
    if (this.#chunks.length === 0) return;
    const c = this.#chunkFor(key);
    const chunk = this.#chunks[c]!;
    const i = searchKeys(chunk, key, false);
    if (chunk[i] !== key) return;
    chunk.splice(i, 1);
    this.#size--;
    if (chunk.length === 0) this.#chunks.splice(c, 1);
  }

  /** The keys from the first one >= `key` (> `key` when `strict`), in order. */
  *from(key: string, strict: boolean): Generator<string> {
    if (this.#chunks.length === 0) return;
    let c = this.#chunkFor(key);
    for (let i = searchKeys(this.#chunks[c]!, key, strict); c < this.#chunks.length; c++, i = 0) {
      const chunk = this.#chunks[c]!;
      for (; i < chunk.length; i++) yield chunk[i]!;
    }
  }

  /** The first chunk whose last key is >= `key`, or the last chunk when there is none. */
  #chunkFor(key: string): number {
    let lo = 0;
    let hi = this.#chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.#chunks[mid]!.at(-1)!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
