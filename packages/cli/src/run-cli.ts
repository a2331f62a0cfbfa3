import { isApiError, OrchestratorConnectionError } from '@stella-orch/client';
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
    const problem = isApiError(error)
      ? error.problem
      : {
          code: error instanceof OrchestratorConnectionError ? 'UNREACHABLE' : errorName(error),
          detail: message(error),
        };
    io.stderr(`${JSON.stringify({ error: problem })}\n`);
    return;
  }
  if (isApiError(error)) {
    io.stderr(`error: ${error.code}: ${error.detail}\n`);
    for (const field of error.problem.errors ?? []) io.stderr(`  ${field.path}: ${field.message}\n`);
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

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
