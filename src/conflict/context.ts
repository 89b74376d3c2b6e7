// Causal contexts: the version vector a read returns and a write sends back, and its header codec
// (`x-meridian-context: c1.<base64url of canonical JSON>`). Validated at the edge: the header is untrusted.

import { ErrorCode, MeridianError } from '../core/errors.ts';
import { decodeBase64UrlAscii, encodeBase64UrlAscii } from './base64url.ts';
import {
  isCounter,
  isReplicaName,
  MAX_REPLICAS,
  REPLICA_RE,
  vectorFrom,
  type VersionVector,
} from './version-vector.ts';

/** What a reader has seen of one document: the state's version vector at the time of the read. */
export type Context = VersionVector;

/** The HTTP header a context travels in (both directions). */
export const CONTEXT_HEADER = 'x-meridian-context';

const PREFIX = 'c1.';

/**
 * The longest header `decodeContext` reads. The largest valid context (`MAX_REPLICAS` 63-character
 * replicas with 16-digit counters) encodes to 3,546 characters, so every context we issue fits.
 */
export const MAX_CONTEXT_CHARS = 4096;

/** The header value for a context: `c1.` and base64url (no padding) of JSON with sorted keys. */
export function encodeContext(context: Context): string {
  const checked = parseContext(context, 'context');
  return PREFIX + encodeBase64UrlAscii(JSON.stringify(checked));
}

/**
 * The context in a header value, or a `bad_request` MeridianError saying what is wrong. Only the exact
 * string `encodeContext` produces is accepted (one spelling per context), so clients must echo it verbatim.
 */
export function decodeContext(header: string): Context {
  if (typeof header !== 'string') throw invalid(`expected a string, got ${typeof header}`);
  if (header === '') {
    throw invalid('is empty: send the context of your last read, or leave the header out for a blind write');
  }
  if (header.length > MAX_CONTEXT_CHARS) {
    throw invalid(`is ${header.length} characters, more than the ${MAX_CONTEXT_CHARS} allowed`);
  }
  if (!header.startsWith(PREFIX)) {
    throw invalid(`must look like ${PREFIX}<base64url JSON> (as returned by a read), got ${clip(header)}`);
  }
  const json = decodeBase64UrlAscii(header.slice(PREFIX.length));
  if (json === undefined) throw invalid(`the part after ${PREFIX} is not base64url of ASCII text`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw invalid(`the part after ${PREFIX} does not hold JSON`);
  }
  const context = parseContext(parsed, CONTEXT_HEADER);
  if (PREFIX + encodeBase64UrlAscii(JSON.stringify(context)) !== header) {
    throw invalid('is not in the form Meridian issues (sorted keys, no spaces): send it back unchanged');
  }
  return context;
}

/**
 * Checks a context given as a value (decoded JSON, or passed in code) and returns a copy with sorted keys.
 * Throws a `bad_request` MeridianError naming `where` and the offending entry.
 */
export function parseContext(value: unknown, where: string): Context {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('must be a JSON object of replica name to counter', where);
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_REPLICAS) {
    throw invalid(`names ${entries.length} replicas, more than the ${MAX_REPLICAS} allowed`, where);
  }
  for (const [replica, counter] of entries) {
    if (!isReplicaName(replica)) {
      throw invalid(`replica name ${clip(replica)} must match ${String(REPLICA_RE)}`, where);
    }
    if (!isCounter(counter)) {
      throw invalid(`counter of ${replica} must be a positive safe integer, got ${show(counter)}`, where);
    }
  }
  return vectorFrom(entries as Array<[string, number]>);
}

function invalid(problem: string, where: string = CONTEXT_HEADER): MeridianError {
  return new MeridianError(ErrorCode.BadRequest, `${where} ${problem}`, {
    details: { header: CONTEXT_HEADER },
  });
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function clip(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
