import { describe, it, expect } from 'vitest';
import * as core from './index.js';

describe('the public surface of @stella-orch/core', () => {
  it('exports the runtime API of every module', () => {
    const expected = [
      // audit-chain
      'AUDIT_VERIFY_PAGE_SIZE',
      'verifyAuditChain',
      'verifyAuditTrail',
      // audit-entry
      'GENESIS_PREV_HASH',
      'JOB_AUDIT_ACTIONS',
      'auditMetadataOf',
      'checkAuditRecord',
      'computeAuditHash',
      'jobAuditRecord',
      'jobAuditState',
      'sealAuditEntry',
      // audit-service
      'AuditService',
      // backoff
      'DEFAULT_RETRY_POLICY',
      'MAX_RETRY_AFTER_MS',
      'checkRetryPolicy',
      'computeRetryDelayMs',
      'retryDelaySchedule',
      // canonical-json
      'canonicalJson',
      'isSha256Digest',
      'payloadDigest',
      'sha256Digest',
      // cursor
      'DEFAULT_PAGE_SIZE',
      'MAX_LEASE_BATCH_SIZE',
      'MAX_PAGE_SIZE',
      'decodePageToken',
      'encodePageToken',
      // errors
      'ERROR_CATALOGUE',
      'OrchestratorError',
      'isOrchestratorError',
      'validationError',
      // job-service
      'DEFAULT_JOB_SERVICE_OPTIONS',
      'JobService',
      'requireJob',
      // job-state
      'JOB_STATUSES',
      'LEASED_STATUSES',
      'TERMINAL_STATUSES',
      'allowedTransitions',
      'assertTransition',
      'canTransition',
      'isJobStatus',
      'isTerminalStatus',
      // job-submission
      'JOB_LIMITS',
      'checkJobSubmission',
      'toNewJob',
      // operator-metadata
      'OPERATOR_METADATA_LIMITS',
      'checkOperatorMetadata',
      'operatorTextProblem',
      // ports
      'silentLogger',
    ];
    expect(Object.keys(core).sort()).toEqual([...expected].sort());
  });
});
