// The traffic sections of the config: `routing` (the policy chain and its inputs), `edges` and `dns`.
// Kept beside schema.ts, which includes them, so the routing work does not churn the core schema.

import { z } from 'zod';
import { duration, httpUrl } from './schema-primitives.ts';
import { ROUTING_RULES } from '../core/routing-policy.ts';

// schema.ts has the same helpers; importing them from there would make an import cycle.
const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
  message: "expected a name of lower-case letters, digits and '-', such as 'eu-west-1'",
});
const location = z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) });
const count = z.number().int().min(1).max(1000);

export const routingSchema = z
  .strictObject({
    /** The ordered policy chain; residency, wherever it stands, is a hard constraint applied first. */
    policy: z
      .array(z.enum(ROUTING_RULES))
      .min(1)
      .default([...ROUTING_RULES]),
    /** Proxies whose x-forwarded-for is believed: addresses or CIDRs. Empty: the TCP peer is the client. */
    trustedProxies: z.array(z.string()).default([]),
    /** A MaxMind-format (MMDB) country or city database; default: the simulator's database of data/world-cities.csv. */
    geoDatabase: z.string().min(1).optional(),
    /** The geolocation rule: ISO country code -> regions, best first. */
    countries: z
      .record(
        z.string().regex(/^[A-Z]{2}$/, { message: 'expected an ISO country code such as FR' }),
        z.array(name).min(1),
      )
      .default({}),
    /** The weighted rule: region -> share (canaries). */
    weights: z.record(z.string(), z.number().min(0)).default({}),
    /** The failover rule's order; regions not listed follow in config order. */
    failoverOrder: z.array(name).default([]),
    sticky: z
      .strictObject({
        cookie: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default('meridian-region'),
        maxAge: duration.default(3_600_000),
      })
      .prefault({}),
    residency: z
      .strictObject({
        /** Zone -> the only regions that may serve a request claiming it. */
        zones: z
          .record(
            z.string().regex(/^[a-z0-9-]+$/, { message: "expected a zone name such as 'eu'" }),
            z.array(name).min(1),
          )
          .default({}),
        header: z.string().toLowerCase().default('x-meridian-residency'),
        /** The JWT claim (bearer token) holding the zone; the token wins over the header. */
        claim: z.string().min(1).default('residency'),
        /** When set, tokens must carry a valid HS256 signature with this secret, or are refused (401). */
        tokenSecret: z.string().min(16).optional(),
        retryAfter: duration.default(5000),
      })
      .prefault({}),
    health: z
      .strictObject({
        interval: duration.pipe(z.number().min(50, { message: 'at least 50 ms' })).default(500),
        timeout: duration.default(1000),
        path: z.string().startsWith('/').default('/healthz'),
        healthyThreshold: count.default(2),
        unhealthyThreshold: count.default(2),
      })
      .prefault({}),
    passive: z
      .strictObject({
        /** Consecutive failed requests (connect errors, 5xx, slower than slowResponse) that eject a region. */
        consecutiveErrors: count.default(3),
        ejectFor: duration.default(5000),
        slowResponse: duration.optional(),
      })
      .prefault({}),
    limits: z
      .strictObject({
        maxHeaderBytes: z
          .number()
          .int()
          .min(1024)
          .max(1024 * 1024)
          .default(16 * 1024),
        maxBodyBytes: z
          .number()
          .int()
          .min(0)
          .max(64 * 1024 * 1024)
          .default(1024 * 1024),
        requestTimeout: duration.default(30_000),
      })
      .prefault({}),
  })
  .prefault({});

export const edgeSchema = z.strictObject({
  name,
  /** Where the edge listens and is reached. */
  url: httpUrl.optional(),
  location: location.optional(),
  /** How this edge reaches each region when not at the region's url (the WAN emulator locally). */
  regionUrls: z.record(z.string(), httpUrl).default({}),
});

export const dnsSchema = z
  .strictObject({
    /** The zone the server is authoritative for. `.test` is reserved for testing (RFC 2606). */
    zone: z
      .string()
      .regex(/^([a-z0-9-]+\.)*[a-z0-9-]+\.?$/i, { message: "expected a domain such as 'meridian.test'" })
      .transform((s) => s.toLowerCase().replace(/\.$/, ''))
      .default('meridian.test'),
    /** The service's label in the zone: `api` answers for api.meridian.test. */
    name: z
      .string()
      .regex(/^[a-z0-9-]+$/i)
      .toLowerCase()
      .default('api'),
    ttl: duration.default(30_000),
    /** 'host:port' for UDP and TCP. */
    listen: z.string().optional(),
    /** Region -> the addresses published for it. */
    answers: z
      .record(
        z.string(),
        z.strictObject({ a: z.array(z.string()).default([]), aaaa: z.array(z.string()).default([]) }),
      )
      .default({}),
  })
  .prefault({});

/** Known keys per path, for "did you mean" on a misspelt key (resolve-config.ts). */
export const ROUTING_KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  routing: Object.keys(routingSchema.unwrap().shape),
  'routing.sticky': ['cookie', 'maxAge'],
  'routing.residency': ['zones', 'header', 'claim', 'tokenSecret', 'retryAfter'],
  'routing.health': ['interval', 'timeout', 'path', 'healthyThreshold', 'unhealthyThreshold'],
  'routing.passive': ['consecutiveErrors', 'ejectFor', 'slowResponse'],
  'routing.limits': ['maxHeaderBytes', 'maxBodyBytes', 'requestTimeout'],
  edges: Object.keys(edgeSchema.shape),
  dns: Object.keys(dnsSchema.unwrap().shape),
  'dns.answers': ['a', 'aaaa'],
};
