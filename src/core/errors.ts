// One error class for the whole project: a literal code, an HTTP status, and the ids involved.
// User errors (bad input, bad config) say how to fix them; system errors keep their cause.

export const ErrorCode = {
  BadRequest: 'bad_request',
  InvalidJson: 'invalid_json',
  InvalidDocument: 'invalid_document',
  InvalidKey: 'invalid_key',
  UnknownCollection: 'unknown_collection',
  NotFound: 'not_found',
  VersionMismatch: 'version_mismatch',
  PayloadTooLarge: 'payload_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  InvalidConfig: 'invalid_config',
  RegionUnavailable: 'region_unavailable',
  Unavailable: 'unavailable',
  InvalidSessionToken: 'invalid_session_token',
  ConsistencyUnavailable: 'consistency_unavailable',
  OutcomeUnknown: 'outcome_unknown',
  SessionUnavailable: 'session_unavailable',
  StalenessUnavailable: 'staleness_unavailable',
  Standby: 'standby',
  Misdirected: 'misdirected',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const statusByCode: Record<ErrorCode, number> = {
  bad_request: 400,
  invalid_json: 400,
  invalid_document: 400,
  invalid_key: 400,
  unknown_collection: 404,
  not_found: 404,
  version_mismatch: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_config: 400,
  region_unavailable: 503,
  unavailable: 503,
  invalid_session_token: 400,
  consistency_unavailable: 400,
  outcome_unknown: 503,
  session_unavailable: 503,
  staleness_unavailable: 503,
  standby: 503,
  misdirected: 421,
  internal: 500,
};

export class MeridianError extends Error {
  override readonly name = 'MeridianError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown; status?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = options.status ?? statusByCode[code];
    this.details = Object.freeze({ ...options.details });
  }
}

export function isMeridianError(err: unknown): err is MeridianError {
  return err instanceof MeridianError;
}
