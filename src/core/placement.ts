// Where a request on a document is served, from its collection's topology: the region that owns the
// document (single-writer primary, active-passive active region, home region), and whether this region
// serves the request, forwards it to the owner, or refuses it. Pure: the region node and the simulator
// decide the same way.

import { MeridianError } from './errors.ts';
import type { JsonObject } from './json.ts';

export type Consistency = 'strong' | 'bounded' | 'session' | 'eventual';

/** The part of a collection's config placement reads (see config/schema.ts). */
export interface PlacementPolicy {
  readonly topology: 'active-active' | 'single-writer' | 'active-passive' | 'home-region';
  readonly primary?: string;
  readonly standby: 'forward' | 'refuse';
  readonly home?: {
    readonly field?: string;
    readonly keyPrefix?: Readonly<Record<string, string>>;
    readonly residencyField?: string;
    readonly default?: string;
  };
}

/** Residency zone -> the regions that may hold its data (routing.residency.zones). */
export type ResidencyZones = Readonly<Record<string, readonly string[]>>;

export type Placement =
  | { readonly kind: 'local' }
  | { readonly kind: 'forward'; readonly to: string }
  | { readonly kind: 'refuse'; readonly error: MeridianError };

const LOCAL: Placement = { kind: 'local' };

/**
 * The region that orders writes to this document, or undefined when every region takes writes
 * (active-active). `value` is the document being written, or for reads and deletes the local copy
 * (undefined when there is none): field and residency homes are read from it.
 */
export function documentOwner(
  policy: PlacementPolicy,
  key: string,
  value: JsonObject | null | undefined,
  zones: ResidencyZones,
): string | undefined {
  switch (policy.topology) {
    case 'active-active':
      return undefined;
    case 'single-writer':
    case 'active-passive':
      return policy.primary;
    case 'home-region':
      return homeRegion(policy, key, value, zones);
  }
}

function homeRegion(
  policy: PlacementPolicy,
  key: string,
  value: JsonObject | null | undefined,
  zones: ResidencyZones,
): string {
  const home = policy.home ?? {};
  const fallback = (why: string): string => {
    if (home.default !== undefined) return home.default;
    throw new MeridianError('bad_request', `${why}, and the collection has no home.default`, {
      details: { key },
    });
  };
  if (home.keyPrefix !== undefined) {
    let best: string | undefined;
    for (const prefix of Object.keys(home.keyPrefix)) {
      if (key.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
    }
    if (best !== undefined) return home.keyPrefix[best]!;
    return fallback(
      `key '${key}' starts with none of the home prefixes (${Object.keys(home.keyPrefix).join(', ')})`,
    );
  }
  const field = home.field ?? home.residencyField;
  if (field === undefined) return fallback('the collection names no home source');
  const named = value?.[field];
  if (named === undefined || named === null) {
    return fallback(
      value ? `document '${key}' has no '${field}' field naming its home` : `document '${key}' is not here`,
    );
  }
  if (typeof named !== 'string') {
    throw new MeridianError(
      'invalid_document',
      `field '${field}' of document '${key}' must be a string naming its home, got ${JSON.stringify(named)}`,
      { details: { key, field } },
    );
  }
  if (home.field !== undefined) return named;
  const regions = zones[named];
  if (regions === undefined || regions.length === 0) {
    throw new MeridianError(
      'invalid_document',
      `field '${field}' of document '${key}' names residency zone '${named}', which routing.residency.zones does not declare (zones: ${Object.keys(zones).join(', ') || 'none'})`,
      { details: { key, field, zone: named } },
    );
  }
  return regions[0]!;
}

/** Whether `region` is one of the deployment's: a home named by a document must be. */
export function checkHome(owner: string, regions: readonly string[], key: string): void {
  if (regions.includes(owner)) return;
  throw new MeridianError(
    'invalid_document',
    `document '${key}' names home region '${owner}', which is not in the deployment (${regions.join(', ')})`,
    { details: { key, home: owner } },
  );
}

export interface PlacementInput {
  readonly policy: PlacementPolicy;
  readonly self: string;
  /** documentOwner's answer. */
  readonly owner: string | undefined;
  readonly op: 'read' | 'write';
  readonly consistency: Consistency;
  /** The region that forwarded this request here, if any: a request is forwarded at most once. */
  readonly forwardedBy?: string;
  readonly retryAfterMs: number;
}

/**
 * Where the request goes before any waiting: writes to their owner, strong reads to the owner (a
 * linearizable read needs the one region that orders the writes), everything on an active-passive
 * standby to the active region (or refused, by config). Session and bounded reads start locally; their
 * own checks may forward them later.
 */
export function place(input: PlacementInput): Placement {
  const { policy, self, owner, op, consistency } = input;
  if (policy.topology === 'active-passive' && owner !== self) {
    if (policy.standby === 'refuse' && input.forwardedBy === undefined) {
      return {
        kind: 'refuse',
        error: new MeridianError(
          'standby',
          `${self} is a standby for this collection: send requests to its active region ${owner}`,
          { details: { active: owner, retryAfterMs: input.retryAfterMs } },
        ),
      };
    }
    return toOwner(input, owner!);
  }
  if (op === 'write') return owner === undefined || owner === self ? LOCAL : toOwner(input, owner);
  if (consistency !== 'strong') return LOCAL;
  if (owner === undefined) {
    return {
      kind: 'refuse',
      error: new MeridianError(
        'consistency_unavailable',
        `consistency=strong needs a collection whose writes one region orders (single-writer, active-passive or home-region); this one is active-active: use consistency=session or bounded`,
      ),
    };
  }
  return owner === self ? LOCAL : toOwner(input, owner);
}

function toOwner(input: PlacementInput, owner: string): Placement {
  if (input.forwardedBy === undefined) return { kind: 'forward', to: owner };
  return {
    kind: 'refuse',
    error: new MeridianError(
      'misdirected',
      `${input.forwardedBy} forwarded this request to ${input.self}, but ${owner} serves it here: the regions' configs disagree`,
      { details: { owner, forwardedBy: input.forwardedBy } },
    ),
  };
}

/** How many regions (the writer included) must have a sync write: 'all', 'majority' or a count. */
export function ackCount(ack: 'all' | 'majority' | number, regions: number): number {
  if (ack === 'all') return regions;
  if (ack === 'majority') return Math.floor(regions / 2) + 1;
  return Math.min(ack, regions);
}
