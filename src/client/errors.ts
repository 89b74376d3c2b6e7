// The one error the client throws: the server's {"error":{code,message,details}} with the HTTP status,
// Retry-After, and whether a write may have applied; or a failure to reach the server at all.

/** Codes the servers answer with, plus the client's own: `network_error` and `unexpected_response`. */
export type ClientErrorCode =
  | 'bad_request'
  | 'invalid_json'
  | 'invalid_document'
  | 'invalid_key'
  | 'unknown_collection'
  | 'not_found'
  | 'version_mismatch'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_session_token'
  | 'consistency_unavailable'
  | 'outcome_unknown'
  | 'session_unavailable'
  | 'staleness_unavailable'
  | 'standby'
  | 'region_unavailable'
  | 'unavailable'
  | 'misdirected'
  | 'internal'
  | 'network_error'
  | 'unexpected_response'
  // Codes a newer server may add still type-check, and the known ones still autocomplete.
  | (string & {});

export interface MeridianClientErrorInit {
  readonly status: number;
  readonly code: ClientErrorCode;
  readonly method: string;
  readonly url: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly retryAfterMs?: number;
  readonly outcomeUnknown?: boolean;
  readonly region?: string;
  readonly cause?: unknown;
}

export class MeridianClientError extends Error {
  override readonly name = 'MeridianClientError';
  /** The HTTP status; 0 when no answer came (network_error). */
  readonly status: number;
  readonly code: ClientErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** How long the server asked to wait before retrying (503s), in ms. */
  readonly retryAfterMs: number | undefined;
  /**
   * True when a write may have been applied although it failed: `outcome_unknown` (a sync write not
   * acknowledged in time), or a write whose answer never arrived. Read the document back before retrying.
   */
  readonly outcomeUnknown: boolean;
  readonly method: string;
  readonly url: string;
  /** The region that answered (x-meridian-region), when one did. */
  readonly region: string | undefined;

  constructor(message: string, init: MeridianClientErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.retryAfterMs = init.retryAfterMs;
    this.outcomeUnknown = init.outcomeUnknown ?? init.code === 'outcome_unknown';
    this.method = init.method;
    this.url = init.url;
    this.region = init.region;
  }
}

/** Retry-After as milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The error for a 4xx/5xx answer: the server's JSON error, or unexpected_response for anything else. */
export function answerError(
  method: string,
  url: string,
  response: Response,
  text: string,
): MeridianClientError {
  let body: { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  const error = body?.error;
  const details =
    typeof error?.details === 'object' && error.details !== null
      ? (error.details as Record<string, unknown>)
      : undefined;
  const retryAfterMs =
    parseRetryAfter(response.headers.get('retry-after'), Date.now()) ??
    (typeof details?.['retryAfterMs'] === 'number' ? details['retryAfterMs'] : undefined);
  const region = response.headers.get('x-meridian-region') ?? undefined;
  if (typeof error?.code !== 'string') {
    return new MeridianClientError(
      `${method} ${url} answered ${response.status} ${response.statusText} without a Meridian error: ${clip(text)}`,
      { status: response.status, code: 'unexpected_response', method, url, retryAfterMs, region },
    );
  }
  const message = typeof error.message === 'string' ? error.message : `${method} ${url}: ${error.code}`;
  const hint =
    error.code === 'invalid_session_token' ? ' (call client.resetSession() to start a new session)' : '';
  return new MeridianClientError(message + hint, {
    status: response.status,
    code: error.code,
    method,
    url,
    details,
    retryAfterMs,
    region,
  });
}

export function clip(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}...` : text);
}
