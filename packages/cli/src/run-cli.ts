import { isApiError, OrchestratorConnectionError, TokenRequestError } from '@stella-orch/client';
import { CommanderError } from 'commander';
import type { CliIo } from './cli-io.js';
import { exitCodeFor } from './exit-codes.js';
import { buildProgram } from './program.js';

/**
 * Runs `stella-orch` with the user's arguments (without `node` and the script) and returns the exit code
 * (see `EXIT_CODES`). Errors are reported on `io.stderr`: the problem's code and detail for an API error,
 * as a JSON problem document under `--json`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    // Commander has already printed its own message (or the help).
    if (!(error instanceof CommanderError)) reportError(io, error, argv.includes('--json'));
    return exitCodeFor(error);
  }
}

function reportError(io: CliIo, error: unknown, json: boolean): void {
  if (json) {
    io.stderr(`${JSON.stringify({ error: jsonError(error) })}\n`);
    return;
  }
  if (error instanceof TokenRequestError) {
    const description = error.error_description === '' ? '' : `: ${error.error_description}`;
    io.stderr(`error: the token request was refused: ${error.error}${description}\n`);
    const hint = TOKEN_ERROR_HINTS[error.error];
    if (hint !== undefined) io.stderr(`  ${hint}\n`);
    return;
  }
  if (isApiError(error)) {
    io.stderr(`error: ${error.code}: ${error.detail}\n`);
    for (const field of error.problem.errors ?? []) io.stderr(`  ${field.path}: ${field.message}\n`);
    const required = requiredScopeOf(error.problem);
    if (required !== undefined) io.stderr(`  the call needs scope ${required}\n`);
    return;
  }
  if (error instanceof OrchestratorConnectionError) {
    io.stderr(`error: cannot reach the orchestrator: ${error.message}\n`);
    return;
  }
  io.stderr(`error: ${message(error)}\n`);
  if (io.env['STELLA_ORCH_DEBUG'] === '1' && error instanceof Error && error.stack !== undefined) {
    io.stderr(`${error.stack}\n`);
  }
}

/** What to check after each refusal of the token endpoint. */
const TOKEN_ERROR_HINTS: Readonly<Record<string, string>> = {
  invalid_client:
    'check --client-id (or STELLA_ORCH_CLIENT_ID) and the secret in STELLA_ORCH_CLIENT_SECRET, and that ' +
    'the client is enabled',
  invalid_scope: 'the client may not have the scope this command needs (see its --help)',
  invalid_request: 'check --tenant and the --reason and --ticket values',
  invalid_target: 'the client may not act in this tenant: check --tenant (or STELLA_ORCH_TENANT)',
  unauthorized_client: 'the client may not use the client credentials grant',
};

/** The `--json` form of an error: the problem document, the RFC 6749 refusal, or code and detail. */
function jsonError(error: unknown): Record<string, unknown> {
  if (isApiError(error)) return error.problem;
  if (error instanceof TokenRequestError) {
    return {
      code: 'TOKEN_REQUEST_REFUSED',
      status: error.status,
      detail: error.message,
      error: error.error,
      error_description: error.error_description,
    };
  }
  return {
    code: error instanceof OrchestratorConnectionError ? 'UNREACHABLE' : codeOf(error),
    detail: message(error),
  };
}

function requiredScopeOf(problem: Record<string, unknown>): string | undefined {
  const details = problem['details'];
  const scope =
    typeof details === 'object' && details !== null
      ? (details as Record<string, unknown>)['requiredScope']
      : undefined;
  return typeof scope === 'string' ? scope : undefined;
}

/** An error's own `code` (IntegrityError's, say), else its name. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'Error';
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
