// Forwarding one request to a region over its undici Pool: hop-by-hop headers dropped both ways,
// x-forwarded-for extended, and failures classified (could the request be retried elsewhere?).

import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1: meaningful for one connection only, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/** RFC 9110 §9.2.2: repeating these has the same effect as sending once. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

export function upstreamHeaders(
  headers: IncomingHttpHeaders,
  peer: string,
  bodyLength: number | null,
): Record<string, string> {
  const out: Record<string, string> = {};
  // Tokens the client's Connection header names are hop-by-hop too; the usual `keep-alive`/`close` are
  // already in HOP_BY_HOP, so the per-request set is only built for anything else.
  const connection = headers.connection;
  const listed =
    connection === undefined || connection === 'keep-alive' || connection === 'close'
      ? null
      : connectionTokens(connection);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'content-length') continue;
    if (listed !== null && listed.has(name)) continue;
    out[name] = typeof value === 'string' ? value : value.join(', ');
  }
  const xff = headers['x-forwarded-for'];
  out['x-forwarded-for'] = xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${peer}` : peer;
  out['x-forwarded-proto'] ??= 'http';
  if (headers.host !== undefined) out['x-forwarded-host'] ??= headers.host;
  if (bodyLength !== null) out['content-length'] = String(bodyLength);
  return out;
}

function connectionTokens(connection: string): Set<string> {
  const tokens = new Set<string>();
  for (const token of connection.split(',')) tokens.add(token.trim().toLowerCase());
  return tokens;
}

/** The edge sets these on every proxied answer itself: a region's own values never pass through. */
const EDGE_SET = new Set([
  'x-meridian-region',
  'x-meridian-route',
  'x-meridian-edge',
  'x-meridian-retried-from',
]);

export interface DownstreamHeaders {
  /** Flat [name, value, name, value, ...], as `ServerResponse.writeHead` takes them (duplicates kept). */
  readonly headers: string[];
  /** The region's content-length, or -1 without one. */
  readonly contentLength: number;
}

/**
 * A region's raw response headers (undici's [name, value, ...] buffers) to the client's: hop-by-hop
 * headers and the ones the edge sets itself dropped, everything else passed through byte for byte.
 */
export function downstreamHeaders(raw: readonly (Buffer | string)[]): DownstreamHeaders {
  const headers: string[] = [];
  let contentLength = -1;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || EDGE_SET.has(lower)) continue;
    const value = raw[i + 1]!.toString('latin1');
    if (lower === 'content-length') contentLength = Number(value);
    headers.push(name, value);
  }
  return { headers, contentLength: Number.isSafeInteger(contentLength) ? contentLength : -1 };
}

/**
 * The region never answered: the connection was refused, reset or closed before a response began. Only
 * then is another region tried (and only for idempotent methods): a timeout may mean the request ran.
 */
export function isConnectFailure(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'EHOSTUNREACH' ||
    code === 'UND_ERR_SOCKET' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_CLOSED'
  );
}
