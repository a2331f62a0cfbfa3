import { openLedger, type SqlDriver } from '@stella-orch/store-postgres';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { randomUUID } from 'node:crypto';
import { buildApp, DEFAULT_CONFIG, type OrchestratorApp, type OrchestratorConfig } from '../src/index.js';

/** An in-process app on a fresh in-memory PGlite ledger, and helpers to call it. */
export interface Harness extends OrchestratorApp {
  /** The tenant requests run as; tests sharing a harness give each test its own with {@link Harness.newTenant}. */
  tenant: string;
  newTenant(): string;
  /** The ledger under the app, for SQL a test needs to run behind the API (tampering, for instance). */
  readonly driver: SqlDriver;
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
    readonly config?: Partial<OrchestratorConfig>;
    readonly databaseUrl?: string;
    readonly leasePollIntervalMs?: number;
  } = {},
): Promise<Harness> {
  const ledger = await openLedger({
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    migrate: true,
  });
  const config: OrchestratorConfig = { ...DEFAULT_CONFIG, logLevel: 'silent', ...options.config };
  const built = await buildApp({
    store: ledger.store,
    audit: ledger.audit,
    config,
    leasePollIntervalMs: options.leasePollIntervalMs ?? 200,
  });
  await built.app.ready();
  const harness: Harness = {
    ...built,
    tenant: randomTenant(),
    newTenant: () => (harness.tenant = randomTenant()),
    driver: ledger.driver,
    call: (method, path, body, headers = {}) =>
      inject(built.app, harness.tenant, method, path, body, headers),
    close: async () => {
      await built.app.close();
      await ledger.store.close();
    },
  };
  return harness;
}

function randomTenant(): string {
  return `t-${randomUUID().slice(0, 8)}`;
}

async function inject(
  app: FastifyInstance,
  tenant: string,
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
      'x-stella-tenant': tenant,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}
