// The one translation from errors to HTTP answers: {"error":{"code","message"}} with a 4xx/5xx status.

import type { FastifyError, FastifyReply } from 'fastify';
import { MeridianError } from '../core/errors.ts';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

export function toHttpError(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof MeridianError) {
    const details = Object.keys(err.details).length > 0 ? err.details : undefined;
    return { status: err.status, body: { error: { code: err.code, message: err.message, details } } };
  }
  const fe = err as Partial<FastifyError>;
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return fail(
        413,
        'payload_too_large',
        `request body is over the limit of ${fe.message?.match(/\d+/)?.[0] ?? '?'} bytes (limits.maxBodyBytes)`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return fail(
        415,
        'unsupported_media_type',
        'send the document as JSON with content-type: application/json',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return fail(400, 'invalid_json', 'the request body is empty: send a JSON object');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return fail(400, 'bad_request', 'content-length does not match the body');
  }
  if (err instanceof SyntaxError || fe.statusCode === 400) {
    return fail(400, 'invalid_json', `the request body is not valid JSON: ${fe.message ?? String(err)}`);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return fail(fe.statusCode, 'bad_request', fe.message ?? 'bad request');
  }
  return fail(500, 'internal', 'internal error: see the region log');
}

function fail(status: number, code: string, message: string) {
  return { status, body: { error: { code, message } } };
}

export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const { status, body } = toHttpError(err);
  const retryAfterMs = err instanceof MeridianError ? err.details.retryAfterMs : undefined;
  if (typeof retryAfterMs === 'number')
    reply.header('retry-after', Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return reply.code(status).send(body);
}
