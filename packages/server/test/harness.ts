import type { TracerProvider } from '@opentelemetry/api';
import { SCOPES, type GrantMetadataField, type Scope } from '@stella-orch/core';
import { openLedger, type SqlDriver } from '@stella-orch/store-postgres';
import { createTestDatabase, migratedPgliteImage, requireServices } from '@stella-orch/testing';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { DestinationStream } from 'pino';
import { ScryptSecretHasher } from '../src/authority/scrypt-secret-hasher.js';
import { buildApp, DEFAULT_CONFIG, type OrchestratorApp, type OrchestratorConfig } from '../src/index.js';

/** A client every harness declares in its configuration: every scope, every tenant. */
export const HARNESS_CLIENT = { clientId: 'harness-admin', clientSecret: 'harness-admin-secret-0123456789' };

/** What a harness token is minted with; everything has a default. */
export interface TokenOptions {
  readonly tenant?: string;
  readonly scopes?: readonly Scope[];
  readonly clientId?: string;
  readonly metadata?: Partial<Record<GrantMetadataField, string>>;
  /** Seconds from now; negative for an expired token. */
  readonly expiresIn?: number;
}

/** An in-process app on a fresh in-memory PGlite ledger, and helpers to call it. */
export interface Harness extends OrchestratorApp {
  /** The tenant requests run as; tests sharing a harness give each test its own with {@link Harness.newTenant}. */
  tenant: string;
  newTenant(): string;
  /** The ledger under the app, for SQL a test needs to run behind the API (tampering, for instance). */
  readonly driver: SqlDriver;
  /**
   * A token signed with the server's own key, without a token request (so without a \`token.grant\` audit
   * entry): by default for the current tenant, with every scope and no reason or ticket. (\`call\` uses
   * one that carries the reason "automated test" and the ticket TEST-0.)
   */
  tokenFor(options?: TokenOptions): Promise<string>;
  /** \`POST /connect/token\` with a form (strings are sent as given). */
  requestToken(
    form: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  /**
   * Calls the API as the current tenant with the default token; \`headers.authorization\` replaces it
   * (an empty string sends none).
   */
  call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** Starts an app (no port bound) on in-memory PGlite, or on `databaseUrl` when given. */
export async function startHarness(
  options: {
    /** Overrides of the test configuration; `authority` is merged key by key into the harness's own. */
    readonly config?: Partial<Omit<OrchestratorConfig, 'authority'>> & {
      readonly authority?: Partial<OrchestratorConfig['authority']>;
    };
    readonly databaseUrl?: string;
    readonly leasePollIntervalMs?: number;
    /** Where the app's log lines go; with it, the app logs (at `config.logLevel`, `info` unless set). */
    readonly logStream?: DestinationStream;
    /** Where the app's spans go (tests give one with an in-memory exporter); none: no spans. */
    readonly tracerProvider?: TracerProvider;
  } = {},
): Promise<Harness> {
  const ledger = await openLedger({
    // In memory: a copy of a migrated empty ledger, without initdb (packages/testing/src/pglite-image.ts).
    ...(options.databaseUrl === undefined
      ? { pgliteImage: await migratedPgliteImage() }
      : { databaseUrl: options.databaseUrl }),
    migrate: true,
  });
  const config: OrchestratorConfig = {
    ...DEFAULT_CONFIG,
    logLevel: options.logStream === undefined ? 'silent' : 'info',
    ...options.config,
    authority: {
      ...DEFAULT_CONFIG.authority,
      bootstrapClients: false,
      // Tests ask for many tokens from one address; the limit itself is tested on its own.
      tokenRateLimit: { requestsPerSecond: 1_000, burst: 1_000 },
      clients: [
        {
          ...HARNESS_CLIENT,
          displayName: 'test harness',
          clientSecretHash: null,
          scopes: [...SCOPES],
          tenants: ['*'],
        },
      ],
      ...options.config?.authority,
    },
  };
  const built = await buildApp({
    store: ledger.store,
    audit: ledger.audit,
    clients: ledger.clients,
    keys: ledger.keys,
    events: ledger.events,
    sources: ledger.sources,
    deadLetters: ledger.deadLetters,
    backfills: ledger.backfills,
    quotas: ledger.quotas,
    throttles: ledger.throttles,
    circuitBreakers: ledger.circuitBreakers,
    slos: ledger.slos,
    // Cheap hashes: the cost of production scrypt is not what these tests are about.
    secrets: new ScryptSecretHasher({ N: 1024, r: 8, p: 1 }),
    config,
    leasePollIntervalMs: options.leasePollIntervalMs ?? 200,
    ...(options.logStream === undefined ? {} : { logStream: options.logStream }),
    ...(options.tracerProvider === undefined ? {} : { tracerProvider: options.tracerProvider }),
  });
  await built.app.ready();
  const harness: Harness = {
    ...built,
    tenant: randomTenant(),
    newTenant: () => (harness.tenant = randomTenant()),
    driver: ledger.driver,
    tokenFor: (tokenOptions = {}) =>
      mintToken(built, config, tokenOptions.tenant ?? harness.tenant, tokenOptions),
    requestToken: (form, headers = {}) =>
      built.app.inject({
        method: 'POST',
        url: '/connect/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams(form).toString(),
      }),
    call: async (method, path, body, headers = {}) => {
      const authorization = headers['authorization'] ?? `Bearer ${await defaultToken(harness.tenant)}`;
      const rest = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'authorization'));
      return inject(built.app, method, path, body, {
        ...rest,
        ...(authorization === '' ? {} : { authorization }),
      });
    },
    close: async () => {
      await built.app.close();
      await ledger.store.close();
    },
  };
  const defaultTokens = new Map<string, Promise<string>>();
  const defaultToken = (tenant: string): Promise<string> => {
    let token = defaultTokens.get(tenant);
    if (token === undefined) {
      token = harness.tokenFor({
        tenant,
        metadata: { operator_reason: 'automated test', operator_ticket: 'TEST-0' },
      });
      defaultTokens.set(tenant, token);
    }
    return token;
  };
  return harness;
}

async function mintToken(
  built: OrchestratorApp,
  config: OrchestratorConfig,
  tenant: string,
  options: TokenOptions,
): Promise<string> {
  const issuer = built.authority.issuer;
  if (issuer === null) throw new Error('this harness trusts an external issuer: it cannot mint tokens');
  const now = Math.floor(Date.now() / 1000);
  const clientId = options.clientId ?? HARNESS_CLIENT.clientId;
  return issuer.issue({
    iss: config.authority.issuer,
    aud: config.authority.audience,
    sub: clientId,
    client_id: clientId,
    scope: (options.scopes ?? SCOPES).join(' '),
    tenant,
    jti: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + (options.expiresIn ?? 900),
    ...options.metadata,
  });
}

function randomTenant(): string {
  return `t-${randomUUID().slice(0, 8)}`;
}

async function inject(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<LightMyRequestResponse> {
  const url =
    path.startsWith('/api/') || path.startsWith('/.well-known') || path.endsWith('z')
      ? path
      : `/api/v1/orchestrator${path}`;
  return app.inject({
    method,
    url,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

/** A ledger engine a suite can run on. */
export type LedgerEngine = 'PGlite' | 'PostgreSQL';

/**
 * The engines a suite runs on: PGlite always, PostgreSQL when it answers (its absence is a warning, or a
 * failure under `STELLA_ORCH_REQUIRE_SERVICES=1`).
 */
export async function ledgerEngines(suite: string): Promise<LedgerEngine[]> {
  return (await requireServices(['postgres'], `${suite} on PostgreSQL`))
    ? ['PGlite', 'PostgreSQL']
    : ['PGlite'];
}

/** {@link startHarness} on `engine`: for PostgreSQL a fresh database, dropped when the harness closes. */
export async function startHarnessOn(
  engine: LedgerEngine,
  options: Omit<NonNullable<Parameters<typeof startHarness>[0]>, 'databaseUrl'> = {},
): Promise<Harness> {
  if (engine === 'PGlite') return startHarness(options);
  const database = await createTestDatabase('stella_orch_server');
  const harness = await startHarness({ ...options, databaseUrl: database.url });
  const closeHarness = harness.close.bind(harness);
  harness.close = async () => {
    await closeHarness();
    await database.drop();
  };
  return harness;
}
