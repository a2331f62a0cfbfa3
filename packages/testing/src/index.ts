export { auditTrailConformance, type AuditTrailFactory } from './audit.testsuite.js';
export {
  expectLinearChain,
  freshAuditTenant,
  operatorAudit,
  withAuditTriggersDisabled,
  type AuditConformanceContext,
  type AuditTenant,
  type LedgerSql,
} from './audit-fixtures.js';
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
  createTestDatabase,
  isPostgresReachable,
  postgresTestUrl,
  requireServices,
  servicesRequired,
  type RealService,
  type TestDatabase,
} from './real-services.js';
