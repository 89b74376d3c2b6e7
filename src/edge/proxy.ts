// Forwarding one request to a region over its undici Pool: hop-by-hop headers dropped both ways,
// x-forwarded-for extended, and failures classified (could the request be retried elsewhere?).

import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher, Pool } from 'undici';

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
  const dropped = new Set(HOP_BY_HOP);
  for (const token of (headers.connection ?? '').split(',')) dropped.add(token.trim().toLowerCase());
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || dropped.has(name) || name === 'content-length') continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const xff = headers['x-forwarded-for'];
  out['x-forwarded-for'] = xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${peer}` : peer;
  out['x-forwarded-proto'] ??= 'http';
  if (headers.host !== undefined) out['x-forwarded-host'] ??= headers.host;
  if (bodyLength !== null) out['content-length'] = String(bodyLength);
  return out;
}

export function downstreamHeaders(
  headers: Dispatcher.ResponseData['headers'],
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

export interface ForwardRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer | null;
  readonly timeoutMs: number;
}

export function forward(pool: Pool, request: ForwardRequest): Promise<Dispatcher.ResponseData> {
  return pool.request({
    method: request.method,
    path: request.path,
    headers: request.headers,
    body: request.body,
    headersTimeout: request.timeoutMs,
    bodyTimeout: request.timeoutMs,
  });
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
