import type { JobFailure, JsonValue } from './job-resources.js';

/** Options of the job-failure errors a handler may throw. */
export interface JobErrorOptions {
  /** Structured data sent with the failure (`error.details`). */
  readonly details?: JsonValue;
  readonly cause?: unknown;
}

/**
 * Thrown by a handler for a failure that another attempt cannot fix (bad input, a missing record): the
 * job fails at once and is dead-lettered, whatever attempts it has left. Subclasses report their own
 * class name as the failure `type`.
 */
export class NonRetryableError extends Error {
  /** Structured data sent with the failure. */
  readonly details: JsonValue | undefined;

  /**
   * @param message - what went wrong
   * @param options - details and cause
   */
  constructor(message: string, options: JobErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details;
  }
}

/**
 * Thrown by a handler for a transient failure, optionally asking for the delay before the next attempt
 * (`retryAfterMs`, instead of the server's back-off). Any other thrown error is retryable too; this one
 * only adds the delay and details.
 */
export class RetryableError extends Error {
  /** The wished delay before the next attempt, in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /** Structured data sent with the failure. */
  readonly details: JsonValue | undefined;

  /**
   * @param message - what went wrong
   * @param options - the delay before the next attempt, details and cause
   */
  constructor(message: string, options: JobErrorOptions & { readonly retryAfterMs?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

const MAX_MESSAGE_LENGTH = 4_096;

/**
 * How a thrown value crosses the worker boundary: `{ type: err.name, message, retryable, retryAfterMs?,
 * details? }`. Only a {@link NonRetryableError} is not retryable.
 */
export function toJobFailure(error: unknown): JobFailure {
  if (!(error instanceof Error)) {
    return { type: 'Error', message: truncate(String(error)), retryable: true };
  }
  const retryAfterMs =
    error instanceof RetryableError && error.retryAfterMs !== undefined
      ? Math.max(0, Math.round(error.retryAfterMs))
      : undefined;
  const details =
    error instanceof RetryableError || error instanceof NonRetryableError ? error.details : undefined;
  return {
    type: error.name === '' ? 'Error' : error.name,
    message: truncate(error.message === '' ? error.name : error.message),
    retryable: !(error instanceof NonRetryableError),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(details === undefined ? {} : { details }),
  };
}

function truncate(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}
