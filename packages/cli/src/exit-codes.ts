import { isApiError, OrchestratorConnectionError, TokenRequestError } from '@stella-orch/client';
import { CommanderError } from 'commander';

/** The exit statuses of `stella-orch`. Public: scripts depend on them. */
export const EXIT_CODES = {
  ok: 0,
  /** An unexpected error (a bug, a server error). */
  unexpected: 1,
  /** Bad flags, arguments or input (including the server's `VALIDATION_FAILED`). */
  usage: 2,
  /** The job, run or entry does not exist (404). */
  notFound: 3,
  /** The request conflicts with the resource's state (409: invalid transition, idempotency conflict). */
  conflict: 4,
  /** The orchestrator is unreachable or unavailable (connection failure, 429, 502, 503, 504). */
  unavailable: 5,
  /** Credentials refused: the token endpoint said no, or the API answered 401 or 403. */
  auth: 6,
  /** An integrity check failed: `audit verify` found a broken chain, or an export does not match its manifest. */
  integrity: 7,
} as const;

/** The exit codes as `--help` shows them. */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  unexpected error
  2  usage error (bad flags or input, missing credentials, reason or ticket)
  3  not found
  4  conflict (409)
  5  server unavailable or unreachable
  6  credentials refused (token request refused, 401, 403)
  7  integrity check failed (broken audit chain, export not matching its manifest)`;

/** A mistake in how the CLI was called, found after parsing (exit code 2). */
export class UsageError extends Error {
  /** @param message - what is wrong and, if possible, how to fix it */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A check of what the server returned failed (exit code 7): the audit chain is broken, or an export does
 * not match its manifest. `code` names the failure for `--json` output.
 */
export class IntegrityError extends Error {
  /** `AUDIT_CHAIN_BROKEN` or `EXPORT_MISMATCH`. */
  readonly code: 'AUDIT_CHAIN_BROKEN' | 'EXPORT_MISMATCH';

  /**
   * @param code - which check failed
   * @param message - what does not match
   */
  constructor(code: IntegrityError['code'], message: string) {
    super(message);
    this.name = 'IntegrityError';
    this.code = code;
  }
}

const USAGE_STATUSES = new Set([400, 413, 415, 422]);
const AUTH_STATUSES = new Set([401, 403]);
const UNAVAILABLE_STATUSES = new Set([429, 502, 503, 504]);

/** The exit code for an error thrown while running a command (see {@link EXIT_CODES}). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
  if (error instanceof UsageError) return EXIT_CODES.usage;
  if (error instanceof IntegrityError) return EXIT_CODES.integrity;
  if (error instanceof TokenRequestError) return EXIT_CODES.auth;
  // The server's ConfigError, matched by name so that the server is only loaded by the commands needing it.
  if (error instanceof Error && error.name === 'ConfigError') return EXIT_CODES.usage;
  if (error instanceof OrchestratorConnectionError) return EXIT_CODES.unavailable;
  // The ledger's own OrchestratorError when `serve` or `migrate` cannot reach the database.
  if (error instanceof Error && (error as { code?: unknown }).code === 'STORE_UNAVAILABLE') {
    return EXIT_CODES.unavailable;
  }
  if (isApiError(error)) {
    if (error.status === 404) return EXIT_CODES.notFound;
    if (error.status === 409) return EXIT_CODES.conflict;
    if (USAGE_STATUSES.has(error.status)) return EXIT_CODES.usage;
    if (UNAVAILABLE_STATUSES.has(error.status)) return EXIT_CODES.unavailable;
    if (AUTH_STATUSES.has(error.status)) return EXIT_CODES.auth;
  }
  return EXIT_CODES.unexpected;
}
