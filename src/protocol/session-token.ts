// Portable session tokens: what a client has seen, as a per-region position vector (the highest change
// of each origin region it wrote or read), signed with a key derived from the cluster secret so any
// region can verify a token any other region issued. Format: `m1.<base64url JSON vector>.<base64url MAC>`
// (HMAC-SHA256 truncated to 128 bits). See docs/INTERNALS.md, "Read consistency".

import { createHmac, timingSafeEqual } from 'node:crypto';
import { MeridianError } from '../core/errors.ts';
import { maxVector, type SeqVector } from '../core/seq-vector.ts';

const PREFIX = 'm1';
const MAC_BYTES = 16;
/** A header may carry the tokens of several writes, comma-separated; the server merges them. */
const MAX_TOKENS = 32;
const MAX_TOKEN_CHARS = 4096;
const REGION_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface SessionTokens {
  /** The signed token for this vector. */
  issue(vector: SeqVector): string;
  /** The merged vector of a header's comma-separated tokens ({} when absent); throws 400 on a bad token. */
  read(header: string | readonly string[] | undefined): SeqVector;
}

export function createSessionTokens(secret: string): SessionTokens {
  const key = createHmac('sha256', secret).update('meridian session token v1').digest();
  const mac = (body: string) => createHmac('sha256', key).update(body).digest().subarray(0, MAC_BYTES);

  function verify(token: string): SeqVector {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== PREFIX || token.length > MAX_TOKEN_CHARS) {
      throw invalid(`x-meridian-session must hold tokens of the form m1.<payload>.<mac>, got ${clip(token)}`);
    }
    const given = Buffer.from(parts[2]!, 'base64url');
    const expected = mac(`${PREFIX}.${parts[1]!}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw invalid(
        `session token ${clip(token)} has a bad signature: it was altered, or issued by another deployment`,
      );
    }
    let vector: unknown;
    try {
      vector = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      throw invalid(`session token ${clip(token)} does not hold a position vector`);
    }
    return checkVector(vector, token);
  }

  function sign(vector: SeqVector): string {
    const sorted = Object.fromEntries(
      Object.entries(vector)
        .filter(([, seq]) => seq > 0)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    const body = `${PREFIX}.${Buffer.from(JSON.stringify(sorted)).toString('base64url')}`;
    return `${body}.${mac(body).toString('base64url')}`;
  }

  /** The token of an empty session, the same for every answer that saw nothing: signed once. */
  let empty: string | undefined;
  return {
    issue(vector) {
      if (Object.keys(vector).length === 0) return (empty ??= sign({}));
      return sign(vector);
    },
    read(header) {
      if (header === undefined) return {};
      const tokens = (Array.isArray(header) ? header.join(',') : (header as string))
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
      if (tokens.length > MAX_TOKENS) {
        throw invalid(
          `x-meridian-session carries ${tokens.length} tokens, over ${MAX_TOKENS}: send the latest token the server returned`,
        );
      }
      return tokens.reduce<SeqVector>((merged, token) => maxVector(merged, verify(token)), {});
    },
  };
}

function checkVector(vector: unknown, token: string): SeqVector {
  if (typeof vector !== 'object' || vector === null || Array.isArray(vector)) {
    throw invalid(`session token ${clip(token)} does not hold a position vector`);
  }
  for (const [region, seq] of Object.entries(vector)) {
    if (!REGION_RE.test(region) || !Number.isSafeInteger(seq) || (seq as number) < 1) {
      throw invalid(`session token ${clip(token)} holds a malformed position ${region}=${String(seq)}`);
    }
  }
  return vector as SeqVector;
}

function invalid(message: string): MeridianError {
  return new MeridianError('invalid_session_token', message);
}

function clip(token: string): string {
  return JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}...` : token);
}
