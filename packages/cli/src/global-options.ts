import { OrchestratorClient, type OrchestratorClientOptions } from '@stella-orch/client';
import type { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import {
  credentialsFor,
  GRANT_METADATA_FIELDS,
  type ClientLogin,
  type CommandAccess,
  type GrantMetadata,
} from './credentials.js';
import { UsageError } from './exit-codes.js';

/** Where the CLI talks to when neither `--url` nor `STELLA_ORCH_URL` says otherwise. */
export const DEFAULT_URL = 'http://localhost:8080';

/** The options every command shares. */
export interface GlobalOptions {
  /** The orchestrator's base URL: `--url`, else `STELLA_ORCH_URL`, else {@link DEFAULT_URL}. */
  readonly url: string;
  /** Whether `--url` was given on the command line (the demo only talks to a server named there). */
  readonly urlGiven: boolean;
  /** `--tenant`, else `STELLA_ORCH_TENANT`: the tenant tokens are asked for (else the Authority's choice). */
  readonly tenant: string | undefined;
  /** `--json`: machine-readable output. */
  readonly json: boolean;
  /** `--client-id` / `--client-secret`, else `STELLA_ORCH_CLIENT_ID` / `STELLA_ORCH_CLIENT_SECRET`. */
  readonly login: ClientLogin;
  /** `--reason`, `--ticket`, `--quota-reason`, … else their `STELLA_ORCH_…` variables. */
  readonly grant: GrantMetadata;
}

/** The global options as commander parses them (reasons and tickets under their flags' names). */
type ParsedGlobals = {
  url?: string;
  tenant?: string;
  json?: boolean;
  clientId?: string;
  clientSecret?: string;
} & Record<string, string | boolean | undefined>;

/** Reads the global options as seen from `command`, with their environment fallbacks. */
export function globalOptions(command: Command, io: CliIo): GlobalOptions {
  const options = command.optsWithGlobals<ParsedGlobals>();
  const url = options.url ?? nonEmpty(io.env['STELLA_ORCH_URL']) ?? DEFAULT_URL;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url: "${url}" is not a URL (for example ${DEFAULT_URL})`);
  }
  const grant: Partial<Record<keyof GrantMetadata, string>> = {};
  for (const field of GRANT_METADATA_FIELDS) {
    const given = options[attributeOf(field.flag)];
    const value = (typeof given === 'string' ? nonEmpty(given) : undefined) ?? nonEmpty(io.env[field.env]);
    if (value !== undefined) grant[field.key] = value;
  }
  return {
    url,
    urlGiven: options.url !== undefined,
    tenant: nonEmpty(options.tenant) ?? nonEmpty(io.env['STELLA_ORCH_TENANT']),
    json: options.json === true,
    login: {
      clientId: nonEmpty(options.clientId) ?? nonEmpty(io.env['STELLA_ORCH_CLIENT_ID']),
      clientSecret: nonEmpty(options.clientSecret) ?? nonEmpty(io.env['STELLA_ORCH_CLIENT_SECRET']),
    },
    grant,
  };
}

/**
 * A client for the orchestrator named by the global options, authenticated for `access`: a token with
 * exactly the scopes the command needs, for the tenant of `--tenant`.
 * @throws UsageError when credentials, or the reason and ticket an operator action needs, are missing
 */
export function clientFor(options: GlobalOptions, access: CommandAccess): OrchestratorClient {
  return new OrchestratorClient({
    ...connection(options),
    credentials: credentialsFor(access, options.login, options.tenant, options.grant),
  });
}

function connection(options: GlobalOptions): OrchestratorClientOptions {
  return {
    baseUrl: options.url,
    ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
    // An operator waits at the terminal: a few quick retries, then the error.
    retry: { maxRetries: 2, initialDelayMs: 200, maxDelayMs: 2_000 },
    timeoutMs: 15_000,
  };
}

/** The name commander keeps a long flag's value under: `--quota-reason` → `quotaReason`. */
function attributeOf(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
