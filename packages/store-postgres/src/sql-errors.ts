import { OrchestratorError, type ErrorCode } from '@stella-orch/core';

/**
 * A statement the database refused, with its SQLSTATE and constraint. It is an {@link OrchestratorError}
 * (code `INTERNAL` unless refined), so nothing a driver throws escapes as a raw driver error; the ledger
 * adapters refine the meaningful cases (a unique violation on an idempotency key, a missing run …).
 */
export class SqlError extends OrchestratorError {
  /** The five-character SQLSTATE, such as `23505` for a unique violation. */
  readonly sqlState: string;
  /** The violated constraint or index, when the database names one. */
  readonly constraint: string | undefined;

  /**
   * @param sqlState - the SQLSTATE
   * @param message - the database's message
   * @param options - the violated constraint, and the driver error as `cause`
   */
  constructor(
    sqlState: string,
    message: string,
    options: { constraint?: string | undefined; cause: unknown },
  ) {
    super('INTERNAL', message, { cause: options.cause });
    this.name = 'SqlError';
    this.sqlState = sqlState;
    this.constraint = options.constraint;
  }
}

/** SQLSTATEs that mean the database is not reachable or not accepting work right now. */
const UNAVAILABLE_STATE = /^(08|53|57P0[1-4]|58)/;
/** Node socket errors of a lost or refused connection. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
/** Messages of drivers that lost their session without a code (`pg` and PGlite). */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection timeout|Client has encountered a connection error|is closed|Cannot use a pool after calling end|not queryable/i;

/**
 * Turns anything a driver threw into an {@link OrchestratorError}: connection failures become
 * `STORE_UNAVAILABLE`, statement failures a {@link SqlError}. Orchestrator errors pass through untouched.
 */
export function classifyDriverError(error: unknown, engine: string): OrchestratorError {
  if (error instanceof OrchestratorError) return error;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const code = typeof fields['code'] === 'string' ? fields['code'] : undefined;
  const sqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  // A SQLSTATE decides; the message only speaks for errors without one (a lost or closed session).
  const unavailable =
    code !== undefined && (NETWORK_CODES.has(code) || UNAVAILABLE_STATE.test(code))
      ? true
      : sqlState === undefined && UNAVAILABLE_MESSAGE.test(message);
  if (unavailable) {
    const text = `the job ledger (${engine}) is unavailable: ${message}`;
    return new OrchestratorError('STORE_UNAVAILABLE', text, { cause: error });
  }
  if (sqlState !== undefined) {
    const constraint = typeof fields['constraint'] === 'string' ? fields['constraint'] : undefined;
    return new SqlError(sqlState, message, { constraint, cause: error });
  }
  return new OrchestratorError('INTERNAL', `the job ledger (${engine}) failed: ${message}`, { cause: error });
}

/** Whether `error` is a {@link SqlError} with the given SQLSTATE (and constraint, when given). */
export function isSqlError(error: unknown, sqlState: string, constraint?: string): error is SqlError {
  return (
    error instanceof SqlError &&
    error.sqlState === sqlState &&
    (constraint === undefined || error.constraint === constraint)
  );
}

/** SQLSTATEs after which running the whole operation again is safe and likely to succeed. */
export function isTransientSqlError(error: unknown): boolean {
  return error instanceof SqlError && (error.sqlState === '40001' || error.sqlState === '40P01');
}

/** A {@link SqlError} re-coded for the caller, keeping the database error as its cause. */
export function recode(error: SqlError, code: ErrorCode, message: string, details?: Record<string, unknown>) {
  return new OrchestratorError(code, message, {
    cause: error,
    ...(details === undefined ? {} : { details }),
  });
}
