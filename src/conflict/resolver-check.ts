// `meridian resolver check`: property tests of an application's conflict resolver. Replicas merge
// concurrent versions in whatever order they arrive, so a resolver must be commutative, associative and
// idempotent (and deterministic) for every region to end with the same document. Random documents come
// from fast-check (or the resolver's own generator); a failure is shrunk to a small counterexample.

import fc from 'fast-check';
import type { JsonObject } from '../core/json.ts';

export interface ResolverContext {
  readonly collection: string;
  readonly key: string;
  /** The two versions being merged, smaller first. */
  readonly versions: readonly [string, string];
}

/** What a collection's `conflict: { resolve }` config holds. */
export interface ConflictResolver {
  resolve(a: JsonObject, b: JsonObject, ctx: ResolverContext): JsonObject;
  /** Documents to test it with (default: any JSON object). */
  readonly arbitrary?: (fcApi: typeof fc) => fc.Arbitrary<JsonObject>;
}

export type ResolverProperty =
  'deterministic' | 'returns an object' | 'commutative' | 'associative' | 'idempotent';

export interface ResolverCheckResult {
  readonly ok: boolean;
  readonly runs: number;
  /** The first property that failed, the documents that show it, and what the resolver did with them. */
  readonly failure?: {
    readonly property: ResolverProperty;
    readonly inputs: readonly JsonObject[];
    readonly detail: string;
    readonly seed: number;
  };
}

const CTX: ResolverContext = { collection: 'check', key: 'k', versions: ['a', 'b'] };

export function checkResolver(
  resolver: ConflictResolver,
  options: { readonly runs?: number; readonly seed?: number } = {},
): ResolverCheckResult {
  const runs = options.runs ?? 200;
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const doc =
    resolver.arbitrary?.(fc) ??
    (fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })) as fc.Arbitrary<JsonObject>);
  const merge = (a: JsonObject, b: JsonObject): JsonObject => {
    const out = resolver.resolve(structuredClone(a), structuredClone(b), CTX);
    if (typeof out !== 'object' || out === null || Array.isArray(out)) {
      throw new PropertyFailure('returns an object', `resolve returned ${show(out)}`);
    }
    return JSON.parse(JSON.stringify(out)) as JsonObject;
  };
  const properties: Array<{ name: ResolverProperty; arity: number; test: (...docs: JsonObject[]) => void }> =
    [
      {
        name: 'deterministic',
        arity: 2,
        test: (a, b) => same('deterministic', merge(a, b), merge(a, b), 'resolve(a, b) twice'),
      },
      {
        name: 'idempotent',
        arity: 1,
        test: (a) => same('idempotent', merge(a, a), normal(a), 'resolve(a, a) vs a'),
      },
      {
        name: 'commutative',
        arity: 2,
        test: (a, b) => same('commutative', merge(a, b), merge(b, a), 'resolve(a, b) vs resolve(b, a)'),
      },
      {
        name: 'associative',
        arity: 3,
        test: (a, b, c) =>
          same(
            'associative',
            merge(merge(a, b), c),
            merge(a, merge(b, c)),
            'resolve(resolve(a, b), c) vs resolve(a, resolve(b, c))',
          ),
      },
    ];
  for (const property of properties) {
    const docs = Array.from({ length: property.arity }, () => doc);
    const outcome = fc.check(
      fc.property(fc.tuple(...docs), (inputs) => {
        property.test(...inputs);
      }),
      { numRuns: runs, seed },
    );
    if (outcome.failed) {
      const inputs = outcome.counterexample?.[0] ?? [];
      const error = outcome.errorInstance;
      const failed = error instanceof PropertyFailure ? error.property : property.name;
      const detail =
        error instanceof PropertyFailure
          ? error.detail
          : `resolve threw: ${error instanceof Error ? error.message : show(error)}`;
      return { ok: false, runs, failure: { property: failed, inputs, detail, seed } };
    }
  }
  return { ok: true, runs };
}

class PropertyFailure extends Error {
  constructor(
    readonly property: ResolverProperty,
    readonly detail: string,
  ) {
    super(`${property}: ${detail}`);
  }
}

function same(property: ResolverProperty, x: JsonObject, y: JsonObject, what: string): void {
  const a = canonical(x);
  const b = canonical(y);
  if (a !== b) throw new PropertyFailure(property, `${what}: ${a} != ${b}`);
}

function normal(doc: JsonObject): JsonObject {
  return JSON.parse(JSON.stringify(doc)) as JsonObject;
}

/** JSON with object keys sorted: key order does not matter to a document. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}
