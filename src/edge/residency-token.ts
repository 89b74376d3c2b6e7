// The residency claim of a bearer JWT: read without a secret (the region still enforces residency), or,
// with routing.residency.tokenSecret, only from a token whose HS256 signature and expiry check out.

import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenClaim =
  | { readonly kind: 'none' }
  | { readonly kind: 'claim'; readonly zone: string | null; readonly verified: boolean }
  | { readonly kind: 'invalid'; readonly reason: string };

/** `authorization` header value or a bare token; `nowSeconds` checks `exp`. */
export function residencyFromToken(
  authorization: string | undefined,
  claim: string,
  secret: string | undefined,
  nowSeconds: number,
): TokenClaim {
  if (authorization === undefined || authorization.trim() === '') return { kind: 'none' };
  const token = authorization.replace(/^Bearer\s+/i, '').trim();
  const parts = token.split('.');
  if (parts.length !== 3) {
    // An opaque token belongs to the application, not to routing; with a secret configured it must be a JWT.
    return secret === undefined
      ? { kind: 'none' }
      : { kind: 'invalid', reason: 'the bearer token is not a JWT' };
  }
  const [header, payload, signature] = parts as [string, string, string];
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
  } catch {
    return { kind: 'invalid', reason: 'the bearer token payload is not base64url JSON' };
  }
  if (secret !== undefined) {
    let alg: unknown;
    try {
      alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
    } catch {
      return { kind: 'invalid', reason: 'the bearer token header is not base64url JSON' };
    }
    if (alg !== 'HS256')
      return { kind: 'invalid', reason: `token alg must be HS256, got ${JSON.stringify(alg)}` };
    const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { kind: 'invalid', reason: 'the bearer token signature does not verify' };
    }
    if (typeof body['exp'] === 'number' && body['exp'] <= nowSeconds) {
      return { kind: 'invalid', reason: 'the bearer token has expired' };
    }
  }
  const zone = body[claim];
  return {
    kind: 'claim',
    zone: typeof zone === 'string' && zone !== '' ? zone : null,
    verified: secret !== undefined,
  };
}

/** An HS256 JWT, for tests and `meridian load --residency` (not a general-purpose signer). */
export function signToken(payload: Record<string, unknown>, secret: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signature = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${signature}`;
}
