// The configuration schema (zod): every section, its defaults, and strict keys so typos are caught.
// Sections later issues add (routing, sessions, deploy, residency) slot in beside these.

import { z } from 'zod';
import type { ConflictResolver } from '../conflict/resolver-check.ts';
import { duration, httpUrl } from './schema-primitives.ts';
import { dnsSchema, edgeSchema, routingSchema } from './routing-schema.ts';

export const REGION_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const COLLECTION_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

export const TOPOLOGIES = ['active-active', 'single-writer', 'active-passive', 'home-region'] as const;
export const CONFLICT_POLICIES = ['lww', 'vector', 'crdt', 'yjs'] as const;
export const REPLICATION_MODES = ['async', 'sync'] as const;

const regionName = z.string().regex(REGION_NAME_RE, {
  message: "expected a region name of lower-case letters, digits and '-', such as 'eu-west-1'",
});

const region = z.strictObject({
  name: regionName,
  /** Where this region's node listens and is reached by clients. Required to run a region node. */
  url: httpUrl.optional(),
  /** How this region reaches each peer, when not at the peer's own url (a WAN emulator, a private link). */
  peerUrls: z.record(z.string(), httpUrl).default({}),
  location: z
    .strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) })
    .optional(),
});

export const CONSISTENCY_LEVELS = ['strong', 'bounded', 'session', 'eventual'] as const;
export const STANDBY_MODES = ['forward', 'refuse'] as const;

/**
 * Where a home-region collection's document lives: exactly one source names its home region.
 * `field`: a document field holding a region name; `keyPrefix`: key prefixes mapped to regions;
 * `residencyField`: a document field holding a residency zone of routing.residency.zones (its first
 * region is the home). `default`: the home of a document that names none (else such a write is refused).
 */
const home = z.strictObject({
  field: z.string().min(1).optional(),
  keyPrefix: z.record(z.string().min(1), regionName).optional(),
  residencyField: z.string().min(1).optional(),
  default: regionName.optional(),
});

/** How many regions, the writer included, must have durably applied a sync write before it is acknowledged. */
const ack = z.union([
  z.enum(['all', 'majority']),
  z.number().int().min(1, { message: 'expected at least 1 region' }),
]);

/** `conflict: { resolve(a, b, ctx) }`: an application's merge (TypeScript or JavaScript configs only). */
const resolverSchema = z.custom<ConflictResolver>(
  (v) => typeof v === 'object' && v !== null && typeof (v as { resolve?: unknown }).resolve === 'function',
  {
    message: `expected one of ${CONFLICT_POLICIES.join(', ')}, or { resolve(a, b, ctx) } in a TypeScript or JavaScript config`,
  },
);

const collection = z.strictObject({
  topology: z.enum(TOPOLOGIES).default('active-active'),
  /** single-writer: the region that takes every write; active-passive: the active region. */
  primary: regionName.optional(),
  /** active-passive: what a standby region does with a request: forward it to the primary, or refuse (503). */
  standby: z.enum(STANDBY_MODES).default('forward'),
  home: home.optional(),
  /** The owner's term, carried by every change; a failover raises it so a deposed writer can be fenced. */
  epoch: z.number().int().min(1).default(1),
  conflict: z.union([z.enum(CONFLICT_POLICIES), resolverSchema]).default('lww'),
  replication: z
    .strictObject({
      mode: z.enum(REPLICATION_MODES).default('async'),
      ack: ack.default('majority'),
      /** A sync write not acknowledged by then answers 503 outcome_unknown. */
      timeout: duration.default(2000),
    })
    .prefault({}),
  consistency: z
    .strictObject({
      /** The read consistency of a request that names none and carries no session token. */
      default: z.enum(CONSISTENCY_LEVELS).default('eventual'),
      /** bounded reads that give no maxStalenessMs use this bound. */
      maxStaleness: duration.default(5000),
      /** How long a session read waits for this region to catch up before forwarding. */
      sessionWait: duration.default(1000),
    })
    .prefault({}),
});

export const configSchema = z.strictObject({
  name: z.string().min(1).default('meridian'),
  regions: z.array(region).min(1, { message: 'declare at least one region' }),
  collections: z.record(
    z.string().regex(COLLECTION_NAME_RE, {
      message: "expected a collection name of letters, digits, '_' and '-' (1 to 64 characters)",
    }),
    collection,
  ),
  limits: z
    .strictObject({
      maxKeyBytes: z.number().int().min(1).max(4096).default(1024),
      maxDocumentBytes: z
        .number()
        .int()
        .min(64)
        .max(16 * 1024 * 1024)
        .default(400 * 1024),
      maxBodyBytes: z
        .number()
        .int()
        .min(64)
        .max(64 * 1024 * 1024)
        .default(1024 * 1024),
      maxListLimit: z.number().int().min(1).max(10_000).default(1000),
    })
    .prefault({}),
  store: z
    .strictObject({
      kind: z.enum(['sqlite', 'memory']).default('sqlite'),
      synchronous: z.enum(['normal', 'full']).default('normal'),
      /** SQLite: refuse writes (507) that would grow the database past this many bytes. */
      maxBytes: z.number().int().min(65_536).optional(),
    })
    .prefault({}),
  peers: z
    .strictObject({
      probeInterval: duration.default(1000),
      probeTimeout: duration.default(1000),
      /** A peer is unhealthy when its last successful probe is older than this. */
      unhealthyAfter: duration.default(1500),
    })
    .prefault({}),
  wan: z
    .strictObject({
      jitterMs: z.number().min(0).max(10_000).default(0),
      bandwidthBytesPerSec: z.number().positive().optional(),
      /** RTT for a pair of regions absent from the measured latency data. */
      defaultRttMs: z.number().min(0).max(10_000).default(100),
    })
    .prefault({}),
  replication: z
    .strictObject({
      /** mesh: every region pulls from every other; hub: spokes pull only from `hub`, the hub from all. */
      topology: z.enum(['mesh', 'hub']).default('mesh'),
      hub: regionName.optional(),
      /** The cluster secret that authenticates replication streams (at least 16 characters). */
      secret: z.string().min(16, { message: 'use a secret of at least 16 characters' }).optional(),
      /** Where to read the secret when `secret` is not set. */
      secretEnv: z.string().min(1).default('MERIDIAN_CLUSTER_SECRET'),
      /** A remote timestamp further ahead of this region's clock is refused, not applied. */
      maxClockOffset: duration.default(500),
      /** Batches: at most this many changes / bytes, after waiting this long for more to join. */
      batchMaxChanges: z.number().int().min(1).max(100_000).default(1000),
      batchMaxBytes: z
        .number()
        .int()
        .min(1024)
        .max(64 * 1024 * 1024)
        .default(1024 * 1024),
      linger: duration.default(5),
      /** An idle stream sends a heartbeat this often; a stream silent for `idleTimeout` is re-opened. */
      heartbeat: duration.default(1000),
      idleTimeout: duration.default(3000),
      /**
       * How often a region truncates its log below what every region has applied and purges stable
       * tombstones; 0 turns collection off.
       */
      gcInterval: duration.default(30_000),
      /** A tombstone is kept at least this long after its delete, even once every region has it. */
      tombstoneGrace: duration.default(60 * 60_000),
    })
    .prefault({}),
  log: z
    .strictObject({ level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info') })
    .prefault({}),
  /** Traffic: the edge routers' and GeoDNS's policy chain (routing-schema.ts). */
  routing: routingSchema,
  edges: z.array(edgeSchema).default([]),
  dns: dnsSchema,
});

/** What a user writes: everything with a default is optional. */
export type MeridianConfigInput = z.input<typeof configSchema>;
/** What the platform reads: complete, defaults filled in. */
export type MeridianConfig = z.output<typeof configSchema>;
export type RegionConfig = MeridianConfig['regions'][number];
export type CollectionConfig = MeridianConfig['collections'][string];
export type Consistency = (typeof CONSISTENCY_LEVELS)[number];
export type ConflictRule = (typeof CONFLICT_POLICIES)[number] | 'resolver';

/** A collection's conflict policy by name: an application resolver is 'resolver'. */
export function conflictRule(collection: CollectionConfig): ConflictRule {
  return typeof collection.conflict === 'string' ? collection.conflict : 'resolver';
}
export type Topology = (typeof TOPOLOGIES)[number];
