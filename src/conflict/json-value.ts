// Checks that untrusted sibling values are JSON, and a canonical JSON form (sorted keys) used to break ties
// deterministically when two states disagree about one dot.

/** Deeper values are refused; this also stops a cyclic (non-JSON) object from looping forever. */
export const MAX_JSON_DEPTH = 512;

/**
 * Why `value` is not a JSON value (a path and a reason), or `undefined` when it is: plain objects, arrays,
 * strings, finite numbers, booleans and null, at most `MAX_JSON_DEPTH` deep.
 */
export function jsonProblem(value: unknown, path: string): string | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const v = item.value;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return `${item.path}: ${String(v)} is not a JSON number`;
      continue;
    }
    if (typeof v !== 'object') return `${item.path}: a value of type ${typeof v} is not JSON`;
    if (item.depth >= MAX_JSON_DEPTH) return `${item.path}: nested more than ${MAX_JSON_DEPTH} levels deep`;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        stack.push({ value: (v as unknown[])[i], path: `${item.path}[${i}]`, depth: item.depth + 1 });
      }
      continue;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return `${item.path}: only plain objects are JSON`;
    for (const [key, child] of Object.entries(v)) {
      stack.push({ value: child, path: `${item.path}.${key}`, depth: item.depth + 1 });
    }
  }
  return undefined;
}

/** JSON with object keys sorted at every level: equal values give equal strings. Input must be JSON. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
