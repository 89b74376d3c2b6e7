// The client's options, checked once at createClient and resolved into a frozen, complete object; and
// the consistency query of one read (a call's options over the client's defaults).

import { DEFAULT_MAX_TOKENS, SERVER_MAX_TOKENS } from './session-tokens.ts';
import { memoryTokenStore, type TokenStore } from './token-store.ts';

/** The read consistency levels a region serves (the server's CONSISTENCY_LEVELS). */
export const CONSISTENCY_LEVELS = ['strong', 'bounded', 'session', 'eventual'] as const;
export type Consistency = (typeof CONSISTENCY_LEVELS)[number];

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** A region node's (or an edge router's) base URL, e.g. `https://eu.meridian.example.com`; in a page, may be a path. */
  readonly url: string;
  /** Where session tokens are kept; default: a fresh memoryTokenStore() per client. */
  readonly tokenStore?: TokenStore;
  /** Default read consistency; default: the server decides (session once a token is held). */
  readonly consistency?: Consistency;
  /** Default bound for bounded reads, in ms. */
  readonly maxStalenessMs?: number;
  /** Default: the global fetch (Node 20, browsers, edge runtimes). */
  readonly fetch?: Fetch;
  /** Sent with every request (authentication to a gateway, tracing). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Most session tokens held at once (1 to 32, default 8): see docs/CLIENT.md, "Session tokens". */
  readonly maxTokens?: number;
}

/** Per read: consistency and staleness bound for this call, and cancellation. */
export interface ReadOptions {
  readonly consistency?: Consistency;
  readonly maxStalenessMs?: number;
  readonly signal?: AbortSignal;
}

export interface ResolvedOptions {
  readonly baseUrl: string;
  readonly tokenStore: TokenStore;
  readonly consistency: Consistency | undefined;
  readonly maxStalenessMs: number | undefined;
  readonly fetch: Fetch;
  readonly headers: Readonly<Record<string, string>>;
  readonly maxTokens: number;
}

export function resolveOptions(options: ClientOptions): ResolvedOptions {
  const base = parseUrl(options.url);
  if (base === undefined || (base.protocol !== 'http:' && base.protocol !== 'https:')) {
    throw new TypeError(
      `createClient: url must be an absolute http(s) URL such as https://eu.example.com (or, in a page, a path), got ${JSON.stringify(options.url)}`,
    );
  }
  if (base.search !== '' || base.hash !== '') {
    throw new TypeError(`createClient: url must not carry a query or fragment, got ${options.url}`);
  }
  const fetchFn = options.fetch ?? (globalThis as { fetch?: Fetch }).fetch;
  if (fetchFn === undefined) {
    throw new TypeError('createClient: this runtime has no global fetch: pass { fetch }');
  }
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > SERVER_MAX_TOKENS) {
    throw new TypeError(
      `createClient: maxTokens must be an integer from 1 to ${SERVER_MAX_TOKENS}, got ${maxTokens}`,
    );
  }
  checkLevel('createClient', options.consistency, options.maxStalenessMs);
  return Object.freeze({
    baseUrl: base.href.replace(/\/+$/, ''),
    tokenStore: options.tokenStore ?? memoryTokenStore(),
    consistency: options.consistency,
    maxStalenessMs: options.maxStalenessMs,
    fetch: fetchFn,
    headers: Object.freeze({ ...options.headers }),
    maxTokens,
  });
}

/**
 * The consistency query of a read. A call's level replaces the client's; a call's bound alone asks for
 * bounded; the client's bound goes only with a bounded read (the server refuses it with any other level).
 */
export function readQuery(defaults: ResolvedOptions, call: ReadOptions): Record<string, string> {
  checkLevel('read', call.consistency, call.maxStalenessMs);
  const level = call.consistency ?? (call.maxStalenessMs !== undefined ? 'bounded' : defaults.consistency);
  const bound =
    level === undefined || level === 'bounded' ? (call.maxStalenessMs ?? defaults.maxStalenessMs) : undefined;
  const query: Record<string, string> = {};
  if (level !== undefined) query['consistency'] = level;
  if (bound !== undefined) query['maxStalenessMs'] = String(bound);
  return query;
}

function checkLevel(where: string, level: Consistency | undefined, bound: number | undefined): void {
  if (level !== undefined && !(CONSISTENCY_LEVELS as readonly string[]).includes(level)) {
    throw new TypeError(
      `${where}: consistency must be one of ${CONSISTENCY_LEVELS.join(', ')}, got ${JSON.stringify(level)}`,
    );
  }
  if (bound === undefined) return;
  if (!Number.isSafeInteger(bound) || bound < 0) {
    throw new TypeError(`${where}: maxStalenessMs must be a whole number of milliseconds, got ${bound}`);
  }
  if (level !== undefined && level !== 'bounded') {
    throw new TypeError(`${where}: maxStalenessMs goes with consistency 'bounded', not '${level}'`);
  }
}

/**
 * The base URL; in a browser page a relative one ('/meridian') resolves against the page. (A try rather
 * than URL.canParse, which is too new for some browsers still in use.)
 */
function parseUrl(url: string): URL | undefined {
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return new URL(url, page);
  } catch {
    return undefined;
  }
}
