// Where a client keeps its session tokens between requests: in memory (the default), in a browser cookie,
// or anywhere an application likes (a server-side session, localStorage) through the same two methods.

/**
 * Holds the x-meridian-session value: the session tokens not yet merged by the server, comma-separated,
 * oldest first ('' or undefined: none). Clients sharing a store share one session.
 */
export interface TokenStore {
  load(): string | undefined | Promise<string | undefined>;
  /** '' clears the session. */
  save(tokens: string): void | Promise<void>;
}

/** Keeps the tokens in this object: one session per store, for as long as the process runs. */
export function memoryTokenStore(initial?: string): TokenStore {
  let tokens = initial ?? '';
  return {
    load: () => tokens,
    save(value) {
      tokens = value;
    },
  };
}

/** The part of the DOM `document` a cookie store uses. */
export interface CookieDocument {
  cookie: string;
}

export interface CookieTokenStoreOptions {
  /** The cookie's name; default `meridian_session`. */
  readonly name?: string;
  /** Default: the global `document` (browsers). */
  readonly document?: CookieDocument;
  /** Keep the session across browser restarts for this long; default: a session cookie. */
  readonly maxAgeSeconds?: number;
  /** Add `Secure`; default: when the page is served over https. */
  readonly secure?: boolean;
}

const COOKIE_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Keeps the tokens in a first-party cookie (`Path=/; SameSite=Lax`), so every tab of the web app and its
 * server-side rendering share one session. Not HttpOnly: the client has to read it to send it.
 */
export function cookieTokenStore(options: CookieTokenStoreOptions = {}): TokenStore {
  const name = options.name ?? 'meridian_session';
  if (!COOKIE_NAME_RE.test(name)) {
    throw new TypeError(`cookieTokenStore: ${JSON.stringify(name)} is not a valid cookie name`);
  }
  const doc = options.document ?? (globalThis as { document?: CookieDocument }).document;
  if (doc === undefined) {
    throw new TypeError(
      'cookieTokenStore needs a document: use it in a browser, or pass { document } (elsewhere use memoryTokenStore)',
    );
  }
  const location = (doc as { location?: { protocol?: string } }).location;
  const secure = options.secure ?? location?.protocol === 'https:';
  const attributes = `; Path=/; SameSite=Lax${secure ? '; Secure' : ''}`;
  return {
    load() {
      for (const part of doc.cookie.split(';')) {
        const at = part.indexOf('=');
        if (at > 0 && part.slice(0, at).trim() === name) return decodeCookie(part.slice(at + 1).trim());
      }
      return undefined;
    },
    save(tokens) {
      // Commas and other separators are not allowed in a cookie value: percent-encode.
      doc.cookie =
        tokens === ''
          ? `${name}=${attributes}; Max-Age=0`
          : `${name}=${encodeURIComponent(tokens)}${attributes}${
              options.maxAgeSeconds === undefined ? '' : `; Max-Age=${options.maxAgeSeconds}`
            }`;
    },
  };
}

/** A cookie someone else wrote badly is treated as no session rather than a crash. */
function decodeCookie(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
