import type { Logger } from '@stella-orch/core';
import { migrate } from './migrator.js';
import { PgliteDriver } from './pglite-driver.js';
import { PostgresAuditTrail } from './postgres-audit-trail.js';
import { PostgresClientRegistry } from './postgres-client-registry.js';
import { PostgresEventLog } from './postgres-event-log.js';
import type { PostgresBackfillStore } from './postgres-backfill-store.js';
import type { PostgresCircuitBreakerStore } from './postgres-circuit-breaker-store.js';
import type { PostgresDeadLetterStore } from './postgres-dead-letter-store.js';
import type { PostgresQuotaStore } from './postgres-quota-store.js';
import type { PostgresThrottleStore } from './postgres-throttle-store.js';
import { PostgresDriver } from './postgres-driver.js';
import { PostgresJobStore } from './postgres-job-store.js';
import { PostgresSigningKeyStore } from './postgres-signing-key-store.js';
import { PostgresSloStore } from './postgres-slo-store.js';
import type { PostgresSourceStore } from './postgres-source-store.js';
import type { SqlDriver } from './sql-driver.js';

/** Where the ledger lives. */
export interface OpenLedgerOptions {
  /** A PostgreSQL server (`postgres://…`); when absent, the embedded PGlite is used. */
  readonly databaseUrl?: string;
  /** PGlite's data directory; in memory when absent too (nothing survives the process). */
  readonly dataDir?: string;
  /**
   * A PGlite image (a tarball from {@link PgliteDriver.dumpImage}, such as a migrated empty ledger) to start
   * the PGlite database from instead of running initdb: in memory, or in a `dataDir` that holds no database
   * yet. Migrations still run after loading unless `migrate: false` (they find nothing to apply when the image
   * is current). Ignored with `databaseUrl`.
   */
  readonly pgliteImage?: Blob;
  /** Apply pending migrations first (default `true`). */
  readonly migrate?: boolean;
  /** The most connections to a PostgreSQL server at once (default 10); ignored for PGlite. */
  readonly maxConnections?: number;
  readonly logger?: Logger;
}

/**
 * An open ledger: the driver (for other adapters sharing the database), the job store, the audit trail,
 * the Authority's client registry and signing keys, and the event log.
 */
export interface Ledger {
  readonly driver: SqlDriver;
  /** Closing the store closes the driver too. */
  readonly store: PostgresJobStore;
  /** The operator audit trail on the same database (nothing to close of its own). */
  readonly audit: PostgresAuditTrail;
  /** The client registry; its changes are audited in the chain of `AUTHORITY_TENANT` (nothing to close). */
  readonly clients: PostgresClientRegistry;
  /** The token and audit-checkpoint signing keys (nothing to close). */
  readonly keys: PostgresSigningKeyStore;
  /** The event log the ledger's statements append to (nothing to close). */
  readonly events: PostgresEventLog;
  /** The SLOs and their incidents (nothing to close). */
  readonly slos: PostgresSloStore;
  /** The registered sources of every tenant (the job store's; nothing to close). */
  readonly sources: PostgresSourceStore;
  /** Dead-letter operations and replay by filter (the job store's, sharing its wake-ups; nothing to close). */
  readonly deadLetters: PostgresDeadLetterStore;
  /** Backfills and watermarks (the job store's, sharing its wake-ups; nothing to close). */
  readonly backfills: PostgresBackfillStore;
  /** The quotas of every tenant (the job store's, sharing its wake-ups; nothing to close). */
  readonly quotas: PostgresQuotaStore;
  /** The throttles of every tenant (the job store's, sharing its wake-ups; nothing to close). */
  readonly throttles: PostgresThrottleStore;
  /** The circuit breakers of every tenant (the job store's, sharing its wake-ups; nothing to close). */
  readonly circuitBreakers: PostgresCircuitBreakerStore;
}

/**
 * Opens the job ledger: PostgreSQL when `databaseUrl` is given, otherwise PGlite (on `dataDir`, or in
 * memory; from `pgliteImage` when given), migrated unless `migrate: false`.
 * @throws OrchestratorError `STORE_UNAVAILABLE` when the database cannot be opened or its schema is newer
 */
export async function openLedger(options: OpenLedgerOptions = {}): Promise<Ledger> {
  const driver: SqlDriver =
    options.databaseUrl === undefined
      ? await PgliteDriver.open(options.dataDir, options.pgliteImage)
      : new PostgresDriver({
          databaseUrl: options.databaseUrl,
          ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
          ...(options.logger === undefined ? {} : { logger: options.logger }),
        });
  try {
    if (options.migrate !== false) await migrate(driver);
  } catch (error) {
    await driver.close();
    throw error;
  }
  const store = new PostgresJobStore(driver, {
    ownsDriver: true,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return {
    driver,
    store,
    audit: new PostgresAuditTrail(driver),
    clients: new PostgresClientRegistry(driver),
    keys: new PostgresSigningKeyStore(driver),
    events: new PostgresEventLog(driver),
    slos: new PostgresSloStore(driver),
    sources: store.sources,
    deadLetters: store.deadLetters,
    backfills: store.backfills,
    quotas: store.quotas,
    throttles: store.throttles,
    circuitBreakers: store.circuitBreakers,
  };
}
