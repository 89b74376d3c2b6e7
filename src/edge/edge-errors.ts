// The edge's one translation from errors to HTTP answers, in the region API's shape:
// {"error":{"code","message"}} with a 4xx/5xx status (and Retry-After when the caller should come back).

import type { ServerResponse } from 'node:http';
import { MeridianError } from '../core/errors.ts';

export function sendEdgeError(
  res: ServerResponse,
  err: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  const known = err instanceof MeridianError;
  const status = known ? err.status : 500;
  const code = known ? err.code : 'internal';
  const message = known ? err.message : 'internal error: see the edge log';
  const details = known && Object.keys(err.details).length > 0 ? err.details : undefined;
  sendJson(res, status, { error: { code, message, details } }, extraHeaders);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...extraHeaders,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
