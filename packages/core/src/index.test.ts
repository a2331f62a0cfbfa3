import { describe, it, expect } from 'vitest';
import * as core from './index.js';

describe('the public surface of @stella-orch/core', () => {
  it('exports the runtime API of every module', () => {
    const expected = [
      // access-token
      'scopesOf',
      // audit-chain
      'AUDIT_VERIFY_PAGE_SIZE',
      'verifyAuditChain',
      'verifyAuditTrail',
      // audit-checkpoint
      'checkpointSigningInput',
      'manifestSigningInput',
      // audit-entry
      'GENESIS_PREV_HASH',
      'JOB_AUDIT_ACTIONS',
      'auditMetadataOf',
      'checkAuditRecord',
      'computeAuditHash',
      'jobAuditRecord',
      'jobAuditState',
      'sealAuditEntry',
      // audit-export
      'Sha256Accumulator',
      'auditNdjsonLine',
      'checkAuditRange',
      // audit-retention
      'DEFAULT_AUDIT_ARCHIVE_MAX_ENTRIES',
      'MAX_AUDIT_RETENTION_DAYS',
      'auditRetentionCutoffMs',
      'auditRetentionWindow',
      'checkAuditRetentionPolicy',
      'oldAuditPrefixLength',
      // audit-service
      'AUDIT_CHECKPOINT_ACTION',
      'AuditService',
      // audit-verification
      'verifyTenantAuditTrail',
      // authority-service
      'AuthorityService',
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
      // client-audit
      'CLIENT_AUDIT_ACTIONS',
      'clientAuditRecord',
      'clientAuditState',
      // cursor
      'DEFAULT_PAGE_SIZE',
      'MAX_LEASE_BATCH_SIZE',
      'MAX_PAGE_SIZE',
      'decodePageToken',
      'encodePageToken',
      // event-envelope
      'EVENT_SCHEMA',
      'eventIdempotencyKey',
      'toEventEnvelope',
      // event-filter
      'MAX_EVENT_TYPE_PREFIXES',
      'matchesEventFilter',
      'parseEventFilter',
      // event-position
      'START_POSITION',
      'START_POSITION_TOKEN',
      'compareEventPositions',
      'decodeEventPosition',
      'encodeEventPosition',
      // operator-event
      'OPERATOR_EVENT_PREFIX',
      'operatorEventOf',
      // errors
      'ERROR_CATALOGUE',
      'OrchestratorError',
      'isOrchestratorError',
      'validationError',
      // job-service
      'DEFAULT_JOB_SERVICE_OPTIONS',
      'JobService',
      'requireJob',
      // job-metrics
      'attemptOutcomeOf',
      'completedAttemptOf',
      'leaseGrantOf',
      'noJobMetrics',
      'reapedAttemptOf',
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
      // oauth-client
      'ANY_TENANT',
      'AUTHORITY_TENANT',
      'clientAllowsTenant',
      'isClientId',
      'isTenantId',
      // oauth-error
      'OAuthError',
      // operator-metadata
      'OPERATOR_METADATA_LIMITS',
      'checkOperatorMetadata',
      'operatorTextProblem',
      // ports
      'silentLogger',
      // scopes
      'GRANT_METADATA_FIELDS',
      'SCOPES',
      'SCOPE_RULES',
      'isScope',
      'isTicketField',
      // token-context
      'requestContextFromToken',
      'requireOperatorMetadata',
      'requireScope',
      // token-request
      'readClientAuthentication',
      'readRequestedGrant',
      'summarizeRequestedGrant',
    ];
    expect(Object.keys(core).sort()).toEqual([...expected].sort());
  });
});
