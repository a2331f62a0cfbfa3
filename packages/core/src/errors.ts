/**
 * The error-code catalogue: every failure the orchestrator reports to a caller carries one of these codes.
 * Codes are public API; their HTTP status and title live here, in one place.
 */
export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  INVALID_CURSOR: { status: 400, title: 'The page token is not valid' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  FORBIDDEN: { status: 403, title: 'The caller may not do this' },
  INSUFFICIENT_SCOPE: { status: 403, title: 'The token lacks the scope this endpoint requires' },
  TENANT_MISMATCH: { status: 403, title: 'The tenant header names another tenant than the token' },
  JOB_NOT_FOUND: { status: 404, title: 'No such job' },
  RUN_NOT_FOUND: { status: 404, title: 'No such run' },
  DEPENDENCY_NOT_FOUND: { status: 404, title: 'A job named in dependsOn does not exist' },
  DEAD_LETTER_NOT_FOUND: { status: 404, title: 'No such dead-letter entry' },
  AUDIT_ENTRY_NOT_FOUND: { status: 404, title: 'No such audit entry' },
  AUDIT_CHECKPOINT_NOT_FOUND: { status: 404, title: 'The audit trail has no checkpoint yet' },
  CLIENT_NOT_FOUND: { status: 404, title: 'No such client' },
  SOURCE_NOT_FOUND: { status: 404, title: 'No such source' },
  BACKFILL_NOT_FOUND: { status: 404, title: 'No such backfill' },
  WATERMARK_NOT_FOUND: { status: 404, title: 'No watermark for this source and job type yet' },
  SLO_NOT_FOUND: { status: 404, title: 'No such SLO' },
  INCIDENT_NOT_FOUND: { status: 404, title: 'No such incident' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such endpoint' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'The method is not allowed on this resource' },
  INVALID_TRANSITION: { status: 409, title: 'The job cannot make this state change' },
  LEASE_LOST: { status: 409, title: 'The lease is no longer held by this caller' },
  AUDIT_CHAIN_BROKEN: { status: 409, title: 'The audit chain does not verify in this range' },
  CLIENT_EXISTS: { status: 409, title: 'A client with this id exists already' },
  SLO_NAME_TAKEN: { status: 409, title: 'Another SLO of the tenant has this name' },
  CLIENT_READ_ONLY: { status: 409, title: 'The client is declared in the configuration file' },
  IDEMPOTENCY_CONFLICT: { status: 409, title: 'The idempotency key was used with a different request' },
  DEPENDENCY_CYCLE: { status: 409, title: 'The dependencies of the submitted jobs form a cycle' },
  DAG_TOO_LARGE: { status: 422, title: 'The dependency graph is too large to return' },
  DEAD_LETTER_NOT_OPEN: { status: 409, title: 'The dead-letter entry is not open' },
  REPLAY_LIMIT_EXCEEDED: { status: 409, title: 'The replay filter matches more jobs than allowed' },
  SOURCE_EXISTS: { status: 409, title: 'A source with this id exists already' },
  SOURCE_DISABLED: { status: 409, title: 'The source is disabled and takes no new jobs' },
  BACKFILL_OVERLAP: {
    status: 409,
    title: 'An open backfill of the same source and job type overlaps the window',
  },
  BACKFILL_FINISHED: { status: 409, title: 'The backfill is completed or canceled' },
  BACKFILL_TOO_LARGE: { status: 400, title: 'The backfill would create more jobs than allowed' },
  SOURCE_VERSION_MISMATCH: { status: 412, title: 'The source changed since the version the request names' },
  QUOTA_NOT_FOUND: { status: 404, title: 'No such quota' },
  QUOTA_EXISTS: { status: 409, title: 'The tenant has a quota for this job type already' },
  QUOTA_VERSION_MISMATCH: { status: 412, title: 'The quota changed since the version the request names' },
  THROTTLE_NOT_FOUND: { status: 404, title: 'No such throttle' },
  CIRCUIT_BREAKER_NOT_FOUND: { status: 404, title: 'No such circuit breaker' },
  CIRCUIT_BREAKER_EXISTS: {
    status: 409,
    title: 'The tenant has a circuit breaker on this source or job type already',
  },
  CIRCUIT_BREAKER_VERSION_MISMATCH: {
    status: 412,
    title: 'The circuit breaker changed since the version the request names',
  },
  QUOTA_EXCEEDED: { status: 429, title: 'A quota is exhausted' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json' },
  STORE_UNAVAILABLE: { status: 503, title: 'The job ledger is unavailable' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

/** A stable, documented error code. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** One field-level problem inside a `VALIDATION_FAILED` error. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/**
 * The one error type of the orchestrator. `code` is stable; `message` is for people; `details` is
 * structured data a client may act on (for example the field errors of a validation failure).
 */
export class OrchestratorError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  /**
   * @param code - the catalogue code
   * @param message - a human-readable explanation of this occurrence
   * @param options - structured `details` and the underlying `cause`
   */
  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Readonly<Record<string, unknown>>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OrchestratorError';
    this.code = code;
    this.details = options.details;
  }

  /** The HTTP status of this error's code. */
  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
}

/** Whether `value` is an {@link OrchestratorError}, optionally with the given code. */
export function isOrchestratorError(value: unknown, code?: ErrorCode): value is OrchestratorError {
  return value instanceof OrchestratorError && (code === undefined || value.code === code);
}

/** Shorthand for a `VALIDATION_FAILED` error listing field errors. */
export function validationError(errors: readonly FieldError[]): OrchestratorError {
  const summary = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  return new OrchestratorError('VALIDATION_FAILED', summary, { details: { errors } });
}
