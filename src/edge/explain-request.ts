// /explain on the edge: what would happen to a request. GET takes the explaining request's own headers,
// with ?ip=, ?token= and ?residency= overriding; POST takes {"ip","headers","token"} as JSON.

import type { IncomingMessage } from 'node:http';
import { MeridianError } from '../core/errors.ts';
import { isJsonObject } from '../core/json.ts';
import { parseIp } from '../core/ip-trust.ts';
import type { HeaderMap, RequestSource } from './request-facts.ts';

export function isExplainPath(url: string): boolean {
  const path = url.split('?')[0];
  return path === '/explain' || path === '/_meridian/explain';
}

export async function explainSource(
  req: IncomingMessage,
  peer: string,
  maxBodyBytes: number,
): Promise<RequestSource> {
  const query = new URL(req.url ?? '/', 'http://edge').searchParams;
  if (req.method === 'GET' || req.method === 'HEAD') {
    const headers: Record<string, string | string[] | undefined> = { ...req.headers };
    const residency = query.get('residency');
    if (residency !== null) headers['x-meridian-residency'] = residency;
    return source(peer, headers, query.get('ip') ?? undefined, query.get('token') ?? undefined);
  }
  if (req.method !== 'POST') {
    throw new MeridianError(
      'bad_request',
      `/explain takes GET (?ip=&token=&residency=) or POST with JSON, not ${req.method}`,
      {
        status: 405,
      },
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes)
      throw new MeridianError('payload_too_large', `/explain body over ${maxBodyBytes} bytes`);
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new MeridianError(
      'invalid_json',
      '/explain body must be JSON: {"ip": "...", "headers": {...}, "token": "..."}',
    );
  }
  if (!isJsonObject(body)) throw new MeridianError('invalid_json', '/explain body must be a JSON object');
  const { ip, token, headers } = body;
  if (ip !== undefined && typeof ip !== 'string')
    throw new MeridianError('bad_request', '/explain: ip must be a string');
  if (token !== undefined && typeof token !== 'string')
    throw new MeridianError('bad_request', '/explain: token must be a string');
  if (headers !== undefined && !isJsonObject(headers))
    throw new MeridianError('bad_request', '/explain: headers must be an object');
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value !== 'string')
      throw new MeridianError('bad_request', `/explain: header ${name} must be a string`);
    lower[name.toLowerCase()] = value;
  }
  return source(peer, lower, ip, token);
}

function source(
  peer: string,
  headers: HeaderMap,
  ip: string | undefined,
  token: string | undefined,
): RequestSource {
  if (ip !== undefined && parseIp(ip) === undefined) {
    throw new MeridianError(
      'bad_request',
      `/explain: ip must be an IPv4 or IPv6 address, got ${JSON.stringify(ip)}`,
    );
  }
  return { peer, headers, ip, token };
}
