// Key order shared by every Store adapter: Unicode code point order, which is UTF-8 byte order
// (SQLite's BINARY collation), not JavaScript's UTF-16 code unit order.

/**
 * Compares two well-formed strings by code point. UTF-16 code unit order differs from code point order
 * only when a surrogate (U+D800-U+DFFF, half of an astral character) meets a unit in U+E000-U+FFFF,
 * so the first differing units are remapped to put surrogates last (the ICU "code point order" fix-up).
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/**
 * The smallest string above every string that starts with `prefix`, so that "starts with prefix" is the
 * range [prefix, bound). Undefined when there is none (the prefix is all U+10FFFF).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) return points.join('') + String.fromCodePoint(last === 0xd7ff ? 0xe000 : last + 1);
  }
  return undefined;
}

/** The index of the first key in sorted `keys` that is >= `key` (or > `key` when `strict`). */
export function searchKeys(keys: readonly string[], key: string, strict: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKeys(keys[mid]!, key);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where a `list` page starts: "after the cursor" and "starts with prefix" begin at the larger bound. */
export function listStart(prefix: string, after: string | undefined): { key: string; strict: boolean } {
  return after !== undefined && compareKeys(after, prefix) >= 0
    ? { key: after, strict: true }
    : { key: prefix, strict: false };
}
