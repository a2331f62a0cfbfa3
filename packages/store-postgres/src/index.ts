export { JOBS_READY_CHANNEL } from './jobs-ready-notifier.js';
export {
  LATEST_SCHEMA_VERSION,
  migrate,
  MIGRATIONS,
  type Migration,
  type MigrationReport,
} from './migrator.js';
export { openLedger, type Ledger, type OpenLedgerOptions } from './open-ledger.js';
export { PgliteDriver } from './pglite-driver.js';
export { PostgresAuditTrail, PostgresTenantAuditTrail } from './postgres-audit-trail.js';
export { PostgresBackfillStore, PostgresTenantBackfillStore } from './postgres-backfill-store.js';
export {
  PostgresCircuitBreakerStore,
  PostgresTenantCircuitBreakerStore,
} from './postgres-circuit-breaker-store.js';
export { PostgresClientRegistry } from './postgres-client-registry.js';
export { MAX_EVENT_READ, PostgresEventLog } from './postgres-event-log.js';
export { PostgresDeadLetterStore } from './postgres-dead-letter-store.js';
export { PostgresDriver, type PostgresDriverOptions } from './postgres-driver.js';
export { PostgresJobStore, type PostgresJobStoreOptions } from './postgres-job-store.js';
export { PostgresQuotaStore, PostgresTenantQuotaStore } from './postgres-quota-store.js';
export { PostgresSigningKeyStore } from './postgres-signing-key-store.js';
export { PostgresSloStore, PostgresTenantSloStore } from './postgres-slo-store.js';
export { PostgresSourceStore, PostgresTenantSourceStore } from './postgres-source-store.js';
export { PostgresTenantThrottleStore, PostgresThrottleStore } from './postgres-throttle-store.js';
export type { DriverCapabilities, SqlDriver, SqlExecutor } from './sql-driver.js';
export { classifyDriverError, isSqlError, SqlError } from './sql-errors.js';
export { dumpSchema } from './schema-dump.js';
