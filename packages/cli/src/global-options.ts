import { userInfo } from 'node:os';
import { OrchestratorClient } from '@stella-orch/client';
import type { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { UsageError } from './exit-codes.js';

/** Where the CLI talks to when neither `--url` nor `STELLA_ORCH_URL` says otherwise. */
export const DEFAULT_URL = 'http://localhost:8080';

/** The options every command shares. */
export interface GlobalOptions {
  /** The orchestrator's base URL: `--url`, else `STELLA_ORCH_URL`, else {@link DEFAULT_URL}. */
  readonly url: string;
  /** Whether `--url` was given on the command line (the demo only talks to a server named there). */
  readonly urlGiven: boolean;
  /** `--tenant`, else `STELLA_ORCH_TENANT`, else the server's default. */
  readonly tenant: string | undefined;
  /** `--json`: machine-readable output. */
  readonly json: boolean;
}

/** Reads the global options as seen from `command`, with their environment fallbacks. */
export function globalOptions(command: Command, io: CliIo): GlobalOptions {
  const options = command.optsWithGlobals<{ url?: string; tenant?: string; json?: boolean }>();
  const url = options.url ?? nonEmpty(io.env['STELLA_ORCH_URL']) ?? DEFAULT_URL;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url: "${url}" is not a URL (for example ${DEFAULT_URL})`);
  }
  return {
    url,
    urlGiven: options.url !== undefined,
    tenant: options.tenant ?? nonEmpty(io.env['STELLA_ORCH_TENANT']),
    json: options.json === true,
  };
}

/**
 * A client for the orchestrator named by the global options. The actor recorded for operator actions is
 * `STELLA_ORCH_ACTOR`, else the local user name.
 */
export function clientFor(options: GlobalOptions, io: CliIo): OrchestratorClient {
  const actor = nonEmpty(io.env['STELLA_ORCH_ACTOR']) ?? localUser();
  return new OrchestratorClient({
    baseUrl: options.url,
    ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
    ...(actor === undefined ? {} : { actor }),
    // An operator waits at the terminal: a few quick retries, then the error.
    retry: { maxRetries: 2, initialDelayMs: 200, maxDelayMs: 2_000 },
    timeoutMs: 15_000,
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function localUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers): the server records its default actor.
    return undefined;
  }
}
