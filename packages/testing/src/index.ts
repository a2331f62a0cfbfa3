export { auditTrailConformance, type AuditTrailFactory } from './audit.testsuite.js';
export { backfillStoreConformance, newBackfill, type BackfillStoreFactory } from './backfills.testsuite.js';
export { clientRegistryConformance, type ClientRegistryFactory } from './client-registry.testsuite.js';
export {
  archiveManifestOf,
  checkpointOf,
  expectLinearChain,
  freshAuditTenant,
  operatorAudit,
  rejection,
  tenantWithEntries,
  wholeChain,
  withAuditTriggersDisabled,
  type AuditConformanceContext,
  type AuditTenant,
  type LedgerSql,
} from './audit-fixtures.js';
export {
  deadLetterStoreConformance,
  type DeadLetterLedger,
  type DeadLetterStoreFactory,
} from './dead-letters.testsuite.js';
export { jobStoreConformance, type JobStoreFactory } from './job-store.testsuite.js';
export {
  cloneIdentity,
  createOne,
  expectCode,
  freshTenant,
  leaseOne,
  newJob,
  NO_BACKOFF,
  TEST_ACTOR,
  type ConformanceContext,
} from './job-store-fixtures.js';
export {
  signingKeyStoreConformance,
  type SecondSigningKeyStore,
  type SigningKeyStoreFactory,
} from './signing-keys.testsuite.js';
export {
  createTestDatabase,
  isPostgresReachable,
  isPrometheusInstalled,
  postgresTestUrl,
  prometheusCommands,
  requireServices,
  servicesRequired,
  type RealService,
  type TestDatabase,
} from './real-services.js';
export { eventLogConformance, type EventLogFactory } from './event-log.testsuite.js';
export {
  insertSourceRow,
  newSource,
  registerTestSource,
  sourceStoreConformance,
  type SourceStoreFactory,
} from './sources.testsuite.js';
export {
  freshEventTenant,
  readSettled,
  readWholeLog,
  settled,
  typesOf,
  type EventLogConformanceContext,
} from './event-log-fixtures.js';
export { sloStoreConformance, type SloStoreFactory } from './slo.testsuite.js';
export { newQuota, QUOTA_CHANGE, quotaStoreConformance, type QuotaStoreFactory } from './quotas.testsuite.js';
export {
  newThrottle,
  THROTTLE_CHANGE,
  throttleStoreConformance,
  type ThrottleStoreFactory,
} from './throttles.testsuite.js';
export {
  cachedPgliteImage,
  migratedPgliteImage,
  pgliteImageKey,
  type CachedPgliteImage,
  type PgliteImageCacheOptions,
} from './pglite-image.js';
export { ageOutcomes, insertOutcomes, type OutcomeFixture } from './slo-fixtures.js';
export {
  CIRCUIT_CHANGE,
  circuitBreakerStoreConformance,
  insertCircuitOutcomes,
  newCircuitBreaker,
  setBreakerState,
  type CircuitBreakerStoreFactory,
} from './circuit-breakers.testsuite.js';
export * from './limits.testsuite.js';
