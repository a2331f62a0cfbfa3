/** One field-level problem of a `VALIDATION_FAILED` answer. */
export interface ProblemFieldError {
  readonly path: string;
  readonly message: string;
}

/** An RFC 9457 `application/problem+json` body as the orchestrator sends it. */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status: number;
  /** The stable error code (`JOB_NOT_FOUND`, `LEASE_LOST`, …). */
  readonly code: string;
  readonly detail?: string;
  readonly instance?: string;
  readonly traceId?: string;
  /** Present on `VALIDATION_FAILED`. */
  readonly errors?: readonly ProblemFieldError[];
  readonly [extension: string]: unknown;
}

/**
 * The orchestrator answered with an error status. `code` is the problem's stable code; an answer that is
 * not a problem document (a proxy's HTML 502, say) gets the code `HTTP_<status>`.
 */
export class OrchestratorApiError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The stable error code. */
  readonly code: string;
  /** The human-readable detail of this occurrence. */
  readonly detail: string;
  /** The whole problem document. */
  readonly problem: Problem;
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;

  /**
   * @param problem - the problem document (or one synthesised from a non-problem answer)
   * @param options - the `Retry-After` delay
   */
  constructor(problem: Problem, options: { readonly retryAfterMs?: number | undefined } = {}) {
    const detail = problem.detail ?? problem.title ?? `HTTP ${problem.status}`;
    super(`${problem.code}: ${detail}`);
    this.name = 'OrchestratorApiError';
    this.status = problem.status;
    this.code = problem.code;
    this.detail = detail;
    this.problem = problem;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * A completion (`completeJob`) answered `LEASE_LOST` on a repeat, after an earlier attempt of the same call
 * may have reached the server (timeout, connection reset, 502/504). The lease is gone, but possibly
 * *because that earlier attempt completed it*: the outcome of the call is unknown. (A repeated heartbeat
 * or progress report needs no such care: an earlier success leaves the lease held.)
 * Callers that must know read the job (`getJob`) and compare its state and attempt. It is still an
 * {@link OrchestratorApiError} with code `LEASE_LOST`, so `isLeaseLost` is true for it too.
 */
export class LeaseOutcomeUnknownError extends OrchestratorApiError {
  /** Always `true`: distinguishes this from a plain `LEASE_LOST` without `instanceof`. */
  readonly outcomeUnknown = true;

  /** @param problem - the `LEASE_LOST` problem of the repeated attempt */
  constructor(problem: Problem) {
    super(problem);
    this.name = 'LeaseOutcomeUnknownError';
  }
}

/**
 * The orchestrator could not be reached, or did not answer in time, after every retry. `timedOut` tells
 * the two apart; `cause` holds the underlying network error.
 */
export class OrchestratorConnectionError extends Error {
  /** The URL that was called. */
  readonly url: string;
  /** Whether the last attempt timed out (rather than failing to connect or being reset). */
  readonly timedOut: boolean;

  /**
   * @param message - what went wrong
   * @param options - the URL, whether it timed out, and the underlying error
   */
  constructor(
    message: string,
    options: { readonly url: string; readonly timedOut: boolean; readonly cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OrchestratorConnectionError';
    this.url = options.url;
    this.timedOut = options.timedOut;
  }
}

/** Whether `error` is an {@link OrchestratorApiError} with the given code. */
export function isApiError(error: unknown, code?: string): error is OrchestratorApiError {
  return error instanceof OrchestratorApiError && (code === undefined || error.code === code);
}

/**
 * Whether `error` says the caller no longer holds the lease (409 `LEASE_LOST`), including the ambiguous
 * {@link LeaseOutcomeUnknownError}.
 */
export function isLeaseLost(error: unknown): error is OrchestratorApiError {
  return isApiError(error, 'LEASE_LOST');
}

/** Whether `error` is a `LEASE_LOST` on a repeat whose earlier attempt may have been applied. */
export function isOutcomeUnknown(error: unknown): error is LeaseOutcomeUnknownError {
  return error instanceof LeaseOutcomeUnknownError;
}

/**
 * Whether `error` says the orchestrator is unavailable rather than that the request is wrong: it could
 * not be reached, or it answered 429, 502, 503 or 504. Such calls may succeed later.
 */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof OrchestratorConnectionError) return true;
  return error instanceof OrchestratorApiError && [429, 502, 503, 504].includes(error.status);
}
