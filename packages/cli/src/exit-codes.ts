import { isApiError, OrchestratorConnectionError } from '@stella-orch/client';
import { CommanderError } from 'commander';

/** The exit statuses of `stella-orch`. Public: scripts depend on them. */
export const EXIT_CODES = {
  ok: 0,
  /** An unexpected error (a bug, a server error, a refused credential). */
  unexpected: 1,
  /** Bad flags, arguments or input (including the server's `VALIDATION_FAILED`). */
  usage: 2,
  /** The job, run or entry does not exist (404). */
  notFound: 3,
  /** The request conflicts with the resource's state (409: invalid transition, idempotency conflict). */
  conflict: 4,
  /** The orchestrator is unreachable or unavailable (connection failure, 429, 502, 503, 504). */
  unavailable: 5,
} as const;

/** The exit codes as `--help` shows them. */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  unexpected error
  2  usage error (bad flags or input)
  3  not found
  4  conflict (409)
  5  server unavailable or unreachable`;

/** A mistake in how the CLI was called, found after parsing (exit code 2). */
export class UsageError extends Error {
  /** @param message - what is wrong and, if possible, how to fix it */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const USAGE_STATUSES = new Set([400, 413, 415, 422]);
const UNAVAILABLE_STATUSES = new Set([429, 502, 503, 504]);

/** The exit code for an error thrown while running a command (see {@link EXIT_CODES}). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
  if (error instanceof UsageError) return EXIT_CODES.usage;
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
  }
  return EXIT_CODES.unexpected;
}
