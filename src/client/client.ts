// The Meridian client: typed collections over a region's documents API, with session tokens carried
// from answer to request so reads see the client's own writes in any region. Only web-platform APIs
// (fetch, URL, AbortSignal): it runs in Node 20, browsers and edge runtimes.

import { answerError, clip, MeridianClientError } from './errors.ts';
import {
  readQuery,
  resolveOptions,
  type ClientOptions,
  type ReadOptions,
  type ResolvedOptions,
} from './options.ts';
import { afterAnswer, formatTokens, parseTokens } from './session-tokens.ts';
import type { TokenStore } from './token-store.ts';

export interface Doc<T> {
  readonly value: T;
  /** The version to pass as `ifMatch` for an update that must not overwrite someone else's. */
  readonly version: string;
  /** The region that served the read. */
  readonly region: string;
  /** The region that wrote this version. */
  readonly origin: string;
  /** Set when the region asked forwarded the read (to the owner, or to a region that caught up). */
  readonly forwardedTo?: string;
}

export interface WriteResult {
  readonly key: string;
  readonly version: string;
  /** The region that applied the write. */
  readonly region: string;
  /** Set when the region asked forwarded the write to the collection's owner. */
  readonly forwardedTo?: string;
}

export interface ListItem<T> {
  readonly key: string;
  readonly version: string;
  readonly value: T;
}

export interface ListPage<T> {
  readonly items: readonly ListItem<T>[];
  /** Pass as `after` for the next page; null on the last page. */
  readonly next: string | null;
  readonly region: string;
}

export interface ListOptions extends ReadOptions {
  readonly prefix?: string;
  /** Start after this key (the previous page's `next`). */
  readonly after?: string;
  /** Page size (the server's default 100, at most limits.maxListLimit). */
  readonly limit?: number;
}

export interface WriteOptions {
  /** Apply only if the document is at this version (its etag), else 412 version_mismatch. */
  readonly ifMatch?: string;
  readonly signal?: AbortSignal;
}

export interface PutOptions extends WriteOptions {
  /** '*': create only, 412 version_mismatch if the document exists. */
  readonly ifNoneMatch?: '*';
}

export interface Collection<T extends object> {
  readonly name: string;
  /** The document, or undefined when there is none (404 not_found). */
  get(key: string, options?: ReadOptions): Promise<Doc<T> | undefined>;
  put(key: string, value: T, options?: PutOptions): Promise<WriteResult>;
  /** Writes a tombstone; undefined when there was no document to delete. */
  delete(key: string, options?: WriteOptions): Promise<WriteResult | undefined>;
  list(options?: ListOptions): Promise<ListPage<T>>;
  /** Every document from `after` on (with `prefix`), fetching pages of `limit` as the loop asks. */
  listAll(options?: ListOptions): AsyncIterableIterator<ListItem<T>>;
}

export interface MeridianClient {
  readonly url: string;
  readonly tokenStore: TokenStore;
  collection<T extends object = Record<string, unknown>>(name: string): Collection<T>;
  /** Forgets the session (after invalid_session_token, or at sign-out). */
  resetSession(): Promise<void>;
}

interface Call {
  readonly method: 'GET' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

interface Answer {
  readonly method: string;
  readonly response: Response;
  readonly text: string;
  readonly url: string;
}

/**
 * Token updates are load-change-save on the store; with an asynchronous store two answers could
 * interleave and lose a token. They queue per store object (not per client), because clients sharing a
 * store share a session.
 */
const updates = new WeakMap<TokenStore, Promise<void>>();

function exclusive(store: TokenStore, update: () => Promise<void>): Promise<void> {
  const run = (updates.get(store) ?? Promise.resolve()).then(update);
  updates.set(
    store,
    run.catch(() => {}),
  );
  return run;
}

export function createClient(options: ClientOptions): MeridianClient {
  const resolved = resolveOptions(options);
  const { tokenStore: store, maxTokens } = resolved;
  // Called as a plain function: browsers reject window.fetch called as a method of another object.
  const fetchFn = resolved.fetch;

  async function remember(sent: readonly string[], received: string): Promise<void> {
    await exclusive(store, async () => {
      const held = parseTokens(await store.load());
      await store.save(formatTokens(afterAnswer(held, sent, received, maxTokens)));
    });
  }

  async function call(request: Call): Promise<Answer> {
    const url = requestUrl(resolved, request);
    const sent = parseTokens(await store.load());
    const headers: Record<string, string> = { ...resolved.headers, accept: 'application/json' };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (sent.length > 0) headers['x-meridian-session'] = formatTokens(sent);
    let response: Response;
    let text: string;
    try {
      response = await fetchFn(url, {
        method: request.method,
        headers: { ...headers, ...request.headers },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: request.signal,
      });
      text = await response.text();
    } catch (err) {
      if (request.signal?.aborted) throw request.signal.reason;
      throw new MeridianClientError(
        `could not reach Meridian at ${request.method} ${url}: ${err instanceof Error ? err.message : String(err)}`,
        {
          status: 0,
          code: 'network_error',
          method: request.method,
          url,
          cause: err,
          // The request may have arrived and the answer been lost.
          outcomeUnknown: request.method !== 'GET',
        },
      );
    }
    // Errors carry a token too when the session moved (a deleted document read, an unknown outcome).
    const token = response.headers.get('x-meridian-session');
    if (token !== null && token !== '') await remember(sent, token);
    if (!response.ok) throw answerError(request.method, url, response, text);
    return { method: request.method, response, text, url };
  }

  function collection<T extends object>(name: string): Collection<T> {
    const docs = `/v1/collections/${encodeURIComponent(name)}/docs`;
    const doc = (key: string) => `${docs}/${encodeURIComponent(key)}`;

    async function list(options: ListOptions = {}): Promise<ListPage<T>> {
      const { prefix, after, limit } = options;
      const answer = await call({
        method: 'GET',
        path: docs,
        query: {
          ...readQuery(resolved, options),
          prefix,
          after,
          limit: limit === undefined ? undefined : String(limit),
        },
        signal: options.signal,
      });
      const page = parseJson<{ items: ListItem<T>[]; next: string | null }>(answer);
      return { items: page.items, next: page.next, region: servedBy(answer) };
    }

    return {
      name,
      async get(key, options = {}) {
        let answer: Answer;
        try {
          answer = await call({
            method: 'GET',
            path: doc(key),
            query: readQuery(resolved, options),
            signal: options.signal,
          });
        } catch (err) {
          if (isMissing(err)) return undefined;
          throw err;
        }
        const { response } = answer;
        return {
          value: parseJson<T>(answer),
          version: unquote(response.headers.get('etag') ?? ''),
          region: servedBy(answer),
          origin: response.headers.get('x-meridian-origin') ?? '',
          ...forwarded(response),
        };
      },
      async put(key, value, options = {}) {
        return written(
          await call({
            method: 'PUT',
            path: doc(key),
            headers: preconditions(options),
            body: value,
            signal: options.signal,
          }),
        );
      },
      async delete(key, options = {}) {
        try {
          return written(
            await call({
              method: 'DELETE',
              path: doc(key),
              headers: preconditions(options),
              signal: options.signal,
            }),
          );
        } catch (err) {
          if (isMissing(err)) return undefined;
          throw err;
        }
      },
      list,
      async *listAll(options = {}) {
        let after = options.after;
        for (;;) {
          const page = await list({ ...options, after });
          yield* page.items;
          if (page.next === null) return;
          after = page.next;
        }
      },
    };
  }

  return {
    url: resolved.baseUrl,
    tokenStore: store,
    collection,
    resetSession: () => exclusive(store, async () => store.save('')),
  };
}

/** A document's 404 names its key; a 404 without one is a wrong URL or route, not a missing document. */
function isMissing(err: unknown): boolean {
  return (
    err instanceof MeridianClientError && err.code === 'not_found' && typeof err.details?.['key'] === 'string'
  );
}

function requestUrl(options: ResolvedOptions, request: Call): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value !== undefined) query.set(name, value);
  }
  const qs = query.toString();
  return `${options.baseUrl}${request.path}${qs === '' ? '' : `?${qs}`}`;
}

function preconditions(options: PutOptions): Record<string, string> {
  if (options.ifMatch !== undefined && options.ifNoneMatch !== undefined) {
    throw new TypeError('give either ifMatch or ifNoneMatch, not both');
  }
  if (options.ifNoneMatch !== undefined) {
    if (options.ifNoneMatch !== '*') {
      throw new TypeError(
        `ifNoneMatch supports only '*' (create if absent), got ${String(options.ifNoneMatch)}`,
      );
    }
    return { 'if-none-match': '*' };
  }
  return options.ifMatch === undefined ? {} : { 'if-match': `"${options.ifMatch}"` };
}

function written(answer: Answer): WriteResult {
  const body = parseJson<{ key: string; version: string; region: string }>(answer);
  return { key: body.key, version: body.version, region: body.region, ...forwarded(answer.response) };
}

function forwarded(response: Response): { forwardedTo?: string } {
  const to = response.headers.get('x-meridian-forwarded-to');
  return to === null ? {} : { forwardedTo: to };
}

function servedBy(answer: Answer): string {
  return answer.response.headers.get('x-meridian-region') ?? '';
}

function unquote(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

function parseJson<T>(answer: Answer): T {
  try {
    return JSON.parse(answer.text) as T;
  } catch (err) {
    throw new MeridianClientError(
      `${answer.method} ${answer.url} answered ${answer.response.status} with a body that is not JSON: ${clip(answer.text)}`,
      {
        status: answer.response.status,
        code: 'unexpected_response',
        method: answer.method,
        url: answer.url,
        cause: err,
      },
    );
  }
}
