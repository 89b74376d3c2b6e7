// Serves one document request at a consistency level: places it (here, the owner, or refused), waits
// for this region to catch up with the client's session, gathers sync acknowledgements, checks
// freshness for bounded reads, and answers with the session positions the client has now seen.
// HTTP-free: the region node calls it from its routes and forwards through HTTP; the simulator calls it
// directly and forwards over its simulated network.

import { MeridianError } from '../core/errors.ts';
import { isJsonObject, type JsonObject } from '../core/json.ts';
import { ackCount, checkHome, documentOwner, place, type Consistency } from '../core/placement.ts';
import { maxVector, seqOf, type SeqVector } from '../core/seq-vector.ts';
import { conflictRule, type CollectionConfig, type MeridianConfig } from '../config/schema.ts';
import type { RegionConsistency } from '../replication/region-consistency.ts';
import type { Precondition } from '../store/store.ts';
import { policyWrite, present, presentValue } from './conflict-documents.ts';
import { collectionPolicy, type DocumentService, type ListQuery } from './documents.ts';

export interface DocRequest {
  /** 'ops': operations on a CRDT document (POST .../ops, the body is {"ops": [...]}). */
  readonly op: 'get' | 'put' | 'delete' | 'list' | 'ops' | 'yjs';
  readonly collection: string;
  /** get, put, delete. */
  readonly key?: string;
  /** put: the document. */
  readonly body?: unknown;
  readonly precondition?: Precondition;
  readonly list?: ListQuery;
  /** vector collections: the causal context of the client's last read (x-meridian-context). */
  readonly context?: string;
  /** As the client asked; absent: session when it sent a session, else the collection's default. */
  readonly consistency?: Consistency;
  readonly maxStalenessMs?: number;
  /** What the client has seen (its verified, merged session tokens). */
  readonly session: SeqVector;
  /** The region that forwarded the request here: it is not forwarded again. */
  readonly forwardedBy?: string;
}

export type DocReply =
  | {
      readonly kind: 'doc';
      readonly version: string;
      readonly origin: string;
      readonly json: string;
      /** 300: the document has siblings (vector collections, failed resolvers); the body lists them. */
      readonly status?: 300;
      /** vector collections: the causal context to write with next. */
      readonly context?: string;
    }
  | { readonly kind: 'written'; readonly key: string; readonly version: string; readonly deleted: boolean }
  | { readonly kind: 'page'; readonly items: readonly ListItem[]; readonly next: string | null }
  /** An error that still moves the session (a read of a deleted document, a sync write of unknown outcome). */
  | { readonly kind: 'error'; readonly error: MeridianError };

export interface ListItem {
  readonly key: string;
  readonly version: string;
  readonly value: JsonObject | null;
}

export interface Served {
  readonly reply: DocReply;
  /** What the client has seen now: send it back as its session token. */
  readonly session: SeqVector;
  /** The region that served it. */
  readonly region: string;
  /** Set when this region forwarded the request (to the owner, or to a region that caught up). */
  readonly forwardedTo?: string;
}

/** Sends a request to another region's coordinator (HTTP in a node, the simulated WAN in the simulator). */
export interface Forwarder {
  forward(to: string, request: DocRequest): Promise<Served>;
}

export interface CoordinatorOptions {
  readonly config: MeridianConfig;
  readonly region: string;
  readonly documents: DocumentService;
  readonly consistency: RegionConsistency;
  readonly forwarder: Forwarder;
  /** Throws while this region must not serve as an owner (rebuilding after it lost its store). */
  readonly checkCurrent?: () => void;
  /** Physical time (ms): CRDT expiry. */
  readonly now: () => number;
  /** Told of every write applied here (after it committed). */
  readonly onWritten?: (request: DocRequest) => void;
}

export interface Coordinator {
  handle(request: DocRequest): Promise<Served>;
}

/** How long a refused client should wait before retrying (Retry-After). */
const RETRY_AFTER_MS = 1000;

export function createCoordinator(options: CoordinatorOptions): Coordinator {
  const { config, region: self, documents, consistency, forwarder } = options;
  const regions = config.regions.map((r) => r.name);
  const others = regions.filter((r) => r !== self);
  const zones = config.routing.residency.zones;

  const policyOf = (collection: string): CollectionConfig => collectionPolicy(config, collection);

  /** The owner of the request's document (undefined: any region), reading the local copy only if needed. */
  async function ownerOf(request: DocRequest, policy: CollectionConfig): Promise<string | undefined> {
    if (request.op === 'list') {
      if (policy.topology !== 'home-region') return documentOwner(policy, '', undefined, zones);
      return undefined;
    }
    const key = request.key!;
    let value: JsonObject | null | undefined;
    const fromDocument = policy.topology === 'home-region' && policy.home?.keyPrefix === undefined;
    if (fromDocument) {
      if (request.op === 'put' && isJsonObject(request.body)) value = request.body;
      else {
        const json = (await documents.record(request.collection, key))?.json;
        value = json ? (JSON.parse(json) as JsonObject) : undefined;
      }
    }
    const owner = documentOwner(policy, key, value, zones);
    if (owner !== undefined) checkHome(owner, regions, key);
    return owner;
  }

  async function forward(to: string, request: DocRequest, level: Consistency): Promise<Served> {
    const served = await forwarder.forward(to, { ...request, consistency: level, forwardedBy: self });
    return { ...served, forwardedTo: to };
  }

  /** A session read this region cannot serve in time goes to a region known to have caught up. */
  function sessionTarget(need: SeqVector, applied: SeqVector): string {
    const lacking = Object.keys(need)
      .filter((origin) => seqOf(applied, origin) < seqOf(need, origin) && origin !== self)
      .sort((a, b) => seqOf(need, b) - seqOf(applied, b) - (seqOf(need, a) - seqOf(applied, a)));
    const caughtUp = consistency.coveredBy(need).filter((r) => r !== self);
    return lacking.find((r) => caughtUp.includes(r)) ?? caughtUp[0] ?? lacking[0] ?? others[0]!;
  }

  async function read(request: DocRequest, session: SeqVector): Promise<Served> {
    const { collection } = request;
    if (request.op === 'list') {
      const page = await documents.list(collection, request.list ?? {});
      // A page reflects everything applied when it was read, maybe more: the vector read after it.
      const seen = maxVector(session, await consistency.applied());
      const now = options.now();
      const items = page.items
        .map((d) => ({
          key: d.key,
          version: d.version,
          value: presentValue({ policy: policyOf(collection), collection, key: d.key }, d, now),
        }))
        .filter((item) => item.value !== null);
      return { reply: { kind: 'page', items, next: page.next }, session: seen, region: self };
    }
    const key = request.key!;
    const doc = await documents.record(collection, key);
    // A last-write-wins record is exactly the change that wrote it; a merged record (every other policy)
    // holds more changes than the one it is named after: the session takes everything applied here.
    const seen =
      conflictRule(policyOf(collection)) !== 'lww'
        ? maxVector(session, await consistency.applied())
        : doc
          ? maxVector(session, { [doc.origin]: doc.originSeq })
          : session;
    const shown = doc && present({ policy: policyOf(collection), collection, key }, doc, options.now());
    if (doc === undefined || shown === undefined || shown.status === 404) {
      // A deleted document's version moves the session too: a later read must not bring it back.
      const error = new MeridianError('not_found', `no document '${key}' in '${collection}'`, {
        details: {
          collection,
          key,
          ...(doc ? { version: doc.version } : {}),
          ...(shown?.context ? { context: shown.context } : {}),
        },
      });
      return { reply: { kind: 'error', error }, session: seen, region: self };
    }
    return {
      reply: {
        kind: 'doc',
        version: doc.version,
        origin: doc.origin,
        json: shown.json,
        ...(shown.status === 300 ? { status: 300 as const } : {}),
        ...(shown.context === undefined ? {} : { context: shown.context }),
      },
      session: seen,
      region: self,
    };
  }

  async function write(request: DocRequest, policy: CollectionConfig, session: SeqVector): Promise<Served> {
    const { collection } = request;
    const key = request.key!;
    const precondition = request.precondition ?? { kind: 'none' };
    // Monotonic writes and writes-follow-reads: a write comes after everything its session saw.
    const caughtUp =
      Object.keys(session).length === 0 ||
      (await consistency.waitApplied(session, policy.consistency.sessionWait));
    if (!caughtUp) {
      throw new MeridianError(
        'session_unavailable',
        `${self} has not caught up with this session's earlier changes within ${policy.consistency.sessionWait} ms (consistency.sessionWait); nothing was written: retry`,
        { details: { session, retryAfterMs: RETRY_AFTER_MS } },
      );
    }
    const rule = conflictRule(policy);
    const compute = policyWrite(
      rule,
      request.op === 'put'
        ? // A last-write-wins put is validated once, by documents.put.
          {
            kind: 'put',
            value: rule === 'lww' ? (request.body as JsonObject) : documents.checkDocument(request.body),
          }
        : request.op === 'ops'
          ? { kind: 'ops', ops: request.body }
          : request.op === 'yjs'
            ? { kind: 'yjs', update: request.body as Uint8Array }
            : { kind: 'delete' },
      { region: self, context: request.context, nowMs: options.now() },
    );
    if (compute !== undefined && precondition.kind !== 'none') {
      throw new MeridianError(
        'bad_request',
        `If-Match and If-None-Match are for last-write-wins collections; '${collection}' is ${conflictRule(policy)}${conflictRule(policy) === 'vector' ? ': send the x-meridian-context of your last read' : ''}`,
      );
    }
    const entry =
      compute !== undefined
        ? await documents.update(collection, key, compute)
        : request.op === 'put'
          ? await documents.put(collection, key, request.body, precondition)
          : await documents.remove(collection, key, precondition);
    options.onWritten?.(request);
    const seen = maxVector(session, { [self]: entry.originSeq });
    const written: DocReply = {
      kind: 'written',
      key,
      version: entry.version,
      deleted: request.op === 'delete',
    };
    const { replication } = policy;
    if (replication.mode === 'sync') {
      const needed = ackCount(replication.ack, regions.length);
      const holders = await consistency.waitAcks(self, entry.originSeq, needed, replication.timeout);
      if (holders.length < needed) {
        const error = new MeridianError(
          'outcome_unknown',
          `the write of '${key}' (version ${entry.version}) is applied in ${holders.join(', ')} but only ${holders.length} of the ${needed} regions it needs (replication.ack ${String(replication.ack)}) acknowledged it within ${replication.timeout} ms: it may still replicate or be lost with ${self}; read it back before retrying`,
          { details: { key, version: entry.version, acked: holders, needed, retryAfterMs: RETRY_AFTER_MS } },
        );
        return { reply: { kind: 'error', error }, session: seen, region: self };
      }
    }
    return { reply: written, session: seen, region: self };
  }

  return {
    async handle(request) {
      const policy = policyOf(request.collection);
      const session = request.session;
      const level: Consistency =
        request.consistency ?? (Object.keys(session).length > 0 ? 'session' : policy.consistency.default);
      const op = request.op === 'get' || request.op === 'list' ? 'read' : 'write';
      const owner = await ownerOf(request, policy);
      if (request.op === 'list' && level === 'strong' && policy.topology === 'home-region') {
        throw new MeridianError(
          'consistency_unavailable',
          'consistency=strong lists need one region that orders every write (single-writer or active-passive); home-region documents live in several: read them one by one',
        );
      }
      const placement = place({
        policy,
        self,
        owner,
        op,
        consistency: level,
        forwardedBy: request.forwardedBy,
        retryAfterMs: RETRY_AFTER_MS,
      });
      if (placement.kind === 'refuse') throw placement.error;
      if (placement.kind === 'forward') return forward(placement.to, request, level);
      if (op === 'write') return write(request, policy, session);
      if (owner === self && (level === 'strong' || level === 'bounded')) {
        options.checkCurrent?.();
        return read(request, session);
      }
      if (level === 'bounded') {
        const bound = request.maxStalenessMs ?? policy.consistency.maxStaleness;
        const origins = owner === undefined ? others : [owner];
        // An owner elsewhere is always fresh: go there at once; with no owner, wait for closed timestamps.
        const waitMs = owner === undefined || request.forwardedBy ? policy.consistency.sessionWait : 0;
        if (!(await consistency.waitFresh(origins, bound, waitMs))) {
          if (owner !== undefined && request.forwardedBy === undefined) return forward(owner, request, level);
          throw new MeridianError(
            'staleness_unavailable',
            `${self} cannot promise data fresher than ${bound} ms (maxStalenessMs) now: replication from ${origins.join(', ')} is behind; retry, or ask for a larger bound`,
            { details: { maxStalenessMs: bound, retryAfterMs: RETRY_AFTER_MS } },
          );
        }
      }
      if (level === 'session' && Object.keys(session).length > 0) {
        if (!(await consistency.waitApplied(session, policy.consistency.sessionWait))) {
          if (request.forwardedBy !== undefined) {
            throw new MeridianError(
              'session_unavailable',
              `${self} has not caught up with this session within ${policy.consistency.sessionWait} ms (consistency.sessionWait), and neither had ${request.forwardedBy}: retry`,
              { details: { session, retryAfterMs: RETRY_AFTER_MS } },
            );
          }
          return forward(sessionTarget(session, await consistency.applied()), request, level);
        }
      }
      return read(request, session);
    },
  };
}
