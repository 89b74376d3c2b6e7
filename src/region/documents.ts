// The document service of one region: validates keys and documents, stamps versions with the hybrid
// clock, and reads and writes through the Store. HTTP-free, so the API and tests share it.

import { MeridianError } from '../core/errors.ts';
import { isJsonObject, type JsonObject } from '../core/json.ts';
import { closest } from '../core/suggest.ts';
import type { CollectionConfig, MeridianConfig } from '../config/schema.ts';
import { createWriteBatcher } from '../store/write-batcher.ts';
import type { DocRecord, LogEntry, Precondition, Store, StoredJson } from '../store/store.ts';

export interface DocumentService {
  /**
   * The document or its tombstone (json null) with the change that wrote it, its value as JSON text
   * ready to send; undefined when the key was never written here.
   */
  record(collection: string, key: string): Promise<StoredJson | undefined>;
  put(collection: string, key: string, body: unknown, precondition: Precondition): Promise<LogEntry>;
  /**
   * A read-modify-write: `compute` gets the current record (or undefined) and a fresh timestamp of this
   * region's clock, and returns the new value; it is retried if another local write got in between.
   * How sibling, CRDT and Yjs documents change (see conflict-documents.ts).
   */
  update(
    collection: string,
    key: string,
    compute: (current: DocRecord | undefined, stamp: string) => JsonObject | null,
  ): Promise<LogEntry>;
  /** Validates a request body as a document (a JSON object within the size limit). */
  checkDocument(body: unknown): JsonObject;
  remove(collection: string, key: string, precondition: Precondition): Promise<LogEntry>;
  list(collection: string, query: ListQuery): Promise<ListPage>;
}

export interface ListQuery {
  readonly prefix?: string;
  readonly after?: string;
  readonly limit?: number;
}

export interface ListPage {
  readonly items: DocRecord[];
  /** Pass as `after` for the next page; null on the last page. */
  readonly next: string | null;
}

export interface DocumentServiceOptions {
  readonly config: MeridianConfig;
  readonly region: string;
  readonly store: Store;
  /**
   * The version of a local write made now: the region's hybrid clock, shared with replication so a
   * local version is larger than every version applied here. Called inside the write's transaction.
   */
  readonly nextVersion: () => string;
  /** Throws when this region may not take writes now (rebuilding after its store was lost). */
  readonly checkWritable?: () => void;
}

const DEFAULT_LIST_LIMIT = 100;

/** The collection's config, or a 404 naming the closest collection. */
export function collectionPolicy(config: MeridianConfig, collection: string): CollectionConfig {
  if (Object.hasOwn(config.collections, collection)) return config.collections[collection]!;
  const names = Object.keys(config.collections);
  const hint = closest(collection, names);
  throw new MeridianError(
    'unknown_collection',
    `unknown collection '${collection}'${hint ? ` — did you mean '${hint}'?` : ''}; collections: ${names.join(', ') || '(none)'}`,
    { details: { collection } },
  );
}

export function createDocumentService(options: DocumentServiceOptions): DocumentService {
  const { config, region, store, nextVersion } = options;
  const writes = createWriteBatcher(store, nextVersion);
  const limits = config.limits;

  const checkCollection = (collection: string): void => void collectionPolicy(config, collection);

  function checkKey(key: string): void {
    const bytes = Buffer.byteLength(key, 'utf8');
    if (bytes === 0)
      throw new MeridianError('invalid_key', 'empty key: give the document a key of 1 or more characters');
    if (bytes > limits.maxKeyBytes) {
      throw new MeridianError(
        'invalid_key',
        `key is ${bytes} bytes, over the limit of ${limits.maxKeyBytes} bytes (limits.maxKeyBytes): use a shorter key`,
        { details: { bytes, limit: limits.maxKeyBytes } },
      );
    }

    if (/[\u0000-\u001f\u007f]/.test(key)) {
      throw new MeridianError(
        'invalid_key',
        `key ${JSON.stringify(key)} contains a control character: remove it`,
      );
    }
  }

  function checkDocument(body: unknown): JsonObject {
    // Bytes (application/octet-stream, which only Yjs updates take) are not a document.
    if (ArrayBuffer.isView(body)) {
      throw new MeridianError(
        'unsupported_media_type',
        'send the document as JSON with content-type: application/json',
      );
    }
    if (!isJsonObject(body)) {
      const got = body === null ? 'null' : Array.isArray(body) ? 'an array' : `a ${typeof body}`;
      throw new MeridianError(
        'invalid_document',
        `a document must be a JSON object, got ${got}: wrap it as {"value": ...}`,
      );
    }
    const bytes = Buffer.byteLength(JSON.stringify(body), 'utf8');
    if (bytes > limits.maxDocumentBytes) {
      throw new MeridianError(
        'payload_too_large',
        `document is ${bytes} bytes, over the limit of ${limits.maxDocumentBytes} bytes (limits.maxDocumentBytes)`,
        { details: { bytes, limit: limits.maxDocumentBytes } },
      );
    }
    return body;
  }

  async function write(
    collection: string,
    key: string,
    value: JsonObject | null,
    precondition: Precondition,
  ) {
    options.checkWritable?.();
    const { epoch } = config.collections[collection]!;
    const result = await writes.write({ collection, key, value, origin: region, epoch }, precondition);
    if (result.ok) return result.entry;
    const current = result.current;
    const state =
      current === undefined
        ? 'does not exist'
        : current.value === null
          ? `was deleted at version ${current.version}`
          : `is at version ${current.version}`;
    if (precondition.kind === 'absent') {
      throw new MeridianError(
        'version_mismatch',
        `document '${key}' already exists (version ${current?.version ?? '?'}); drop If-None-Match to overwrite`,
        {
          details: { key, current: current?.version },
        },
      );
    }
    if (value === null && current === undefined) {
      throw new MeridianError('not_found', `document '${key}' does not exist in '${collection}'`, {
        details: { key },
      });
    }
    const expected = precondition.kind === 'version' ? precondition.version : '';
    throw new MeridianError(
      'version_mismatch',
      `document '${key}' ${state}, not version ${expected}: read it again and retry with the current version`,
      { details: { key, expected, current: current?.version } },
    );
  }

  /** The tail of each key's queue of read-modify-writes. */
  const turns = new Map<string, Promise<void>>();

  async function updateNow(
    collection: string,
    key: string,
    compute: (current: DocRecord | undefined, stamp: string) => JsonObject | null,
  ): Promise<LogEntry> {
    for (let attempt = 0; ; attempt++) {
      const current = await store.get(collection, key);
      const value = compute(current, nextVersion());
      if (value !== null) checkDocument(value);
      const precondition: Precondition =
        current === undefined
          ? { kind: 'absent' }
          : {
              kind: 'version',
              version: current.version,
              change: { origin: current.origin, originSeq: current.originSeq },
            };
      try {
        return await write(collection, key, value, precondition);
      } catch (err) {
        // A change from another region got in between: compute again on what it made.
        if (!(err instanceof MeridianError && err.code === 'version_mismatch') || attempt >= 20) throw err;
      }
    }
  }

  return {
    async record(collection, key) {
      checkCollection(collection);
      checkKey(key);
      // The stored JSON text goes out as it is: no parse and re-serialise on the hot read path.
      return store.getJson ? store.getJson(collection, key) : toJson(await store.get(collection, key));
    },

    async put(collection, key, body, precondition) {
      checkCollection(collection);
      checkKey(key);
      return write(collection, key, checkDocument(body), precondition);
    },

    checkDocument,

    async update(collection, key, compute) {
      checkCollection(collection);
      checkKey(key);
      // Read-modify-writes of one key take turns here; only a remote change can get in between.
      const lock = `${collection}\u0000${key}`;
      const before = turns.get(lock) ?? Promise.resolve();
      let done!: () => void;
      const mine = new Promise<void>((resolve) => (done = resolve));
      const tail = before.then(() => mine);
      turns.set(lock, tail);
      await before;
      try {
        return await updateNow(collection, key, compute);
      } finally {
        done();
        if (turns.get(lock) === tail) turns.delete(lock);
      }
    },

    async remove(collection, key, precondition) {
      checkCollection(collection);
      checkKey(key);
      if (precondition.kind === 'none') {
        // Deleting what is not there changes nothing and says so.
        const current = await store.get(collection, key);
        if (current === undefined || current.value === null) {
          throw new MeridianError('not_found', `no document '${key}' in '${collection}'`, {
            details: { collection, key },
          });
        }
      }
      return write(collection, key, null, precondition);
    },

    async list(collection, query) {
      checkCollection(collection);
      const limit = query.limit ?? DEFAULT_LIST_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > limits.maxListLimit) {
        throw new MeridianError(
          'bad_request',
          `limit must be an integer from 1 to ${limits.maxListLimit}, got ${String(query.limit)}`,
        );
      }
      const items = await store.list(collection, {
        prefix: query.prefix,
        after: query.after,
        limit: limit + 1,
      });
      const more = items.length > limit;
      const page = more ? items.slice(0, limit) : items;
      return { items: page, next: more ? page[page.length - 1]!.key : null };
    },
  };
}

function toJson(doc: DocRecord | undefined): StoredJson | undefined {
  return (
    doc && {
      version: doc.version,
      origin: doc.origin,
      originSeq: doc.originSeq,
      json: doc.value === null ? null : JSON.stringify(doc.value),
    }
  );
}
