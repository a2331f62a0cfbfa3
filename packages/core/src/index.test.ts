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
      // backfills
      'BACKFILL_AUDIT_ACTIONS',
      'BACKFILL_LIMITS',
      'BACKFILL_PREVIEW_STEPS',
      'BACKFILL_STATUSES',
      'backfillAuditRecord',
      'backfillAuditState',
      'backfillJobPayload',
      'backfillProgress',
      'backfillRequestDigest',
      'backfillStep',
      'backfillSteps',
      'estimateBackfillDuration',
      'formatStep',
      'parseStepSeconds',
      'planBackfill',
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
      // dead-letter, dead-letter-service
      'DEAD_LETTER_LIMITS',
      'DEAD_LETTER_STATUSES',
      'DeadLetterService',
      'REPLAYABLE_STATUSES',
      'bulkReplayAuditRecord',
      'checkResolutionNote',
      'deadLetterAuditRecord',
      'deadLetterNotFound',
      'replayRequestErrors',
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
      // job-dag, job-dependency-refs
      'DAG_LIMITS',
      'describeJobDag',
      'findDependencyCycle',
      'resolveDependencyRefs',
      // job-holds, time-words
      'JOB_CONDITION_CODES',
      'explainJob',
      'durationInWords',
      'instantInWords',
      'relativeToNow',
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
      // slo, slo-burn-rate, slo-incident, slo-records, slo-service, slo-store
      'BURN_WINDOWS',
      'BURN_WINDOW_SECONDS',
      'DEFAULT_SLO_ALERT_POLICY',
      'DEFAULT_SLO_WINDOW_SECONDS',
      'INCIDENT_EVENT_TYPES',
      'INCIDENT_RESOLVE_RATIO',
      'INCIDENT_STATUSES',
      'MAX_BURN_THRESHOLD',
      'MAX_SLO_WINDOW_SECONDS',
      'MIN_SLO_WINDOW_SECONDS',
      'SLO_AUDIT_ACTIONS',
      'SLO_EVALUATOR_ACTOR',
      'SloService',
      'applySloPatch',
      'burnRateOf',
      'burnRatesOf',
      'checkSloDefinition',
      'decideIncident',
      'incidentEvent',
      'noSloMetrics',
      'noSourcePauser',
      'sloAuditRecord',
      'sloAuditState',
      'sloBurnReport',
      'sloDefinitionFrom',
      'sloDefinitionOf',
      // admission, limit-rules
      'admit',
      'bucketLevelsAfter',
      'limitKeys',
      'limitRules',
      'lockedLimitKeys',
      'pickAdmitted',
      'queueBudget',
      'queueHolds',
      'ruleApplies',
      // quota, throttle, token-bucket
      'defaultQuotaBurst',
      'msUntilNextToken',
      'quotaBucket',
      'throttleActive',
      'throttleBucket',
      'tokensAt',
      // sources
      'IDENTIFIER_PATTERN',
      'SOURCE_AUDIT_ACTIONS',
      'SOURCE_LIMITS',
      'SOURCE_TYPE_PATTERN',
      'assertNoFieldErrors',
      'checkRateLimit',
      'checkSourcePatch',
      'checkSourcePause',
      'checkSourceRegistration',
      'sourceAuditRecord',
      'sourceAuditState',
      'sourceRegistrationDigest',
      // slo-source-pauser
      'INCIDENT_MODE_ACTOR',
      'sourceRegistryPauser',
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
      // trace-context
      'TRACESTATE_LIMITS',
      'formatTraceparent',
      'parseTraceparent',
      'parseTracestate',
      'traceContextOf',
      // token-request
      'readClientAuthentication',
      'readRequestedGrant',
      'summarizeRequestedGrant',
    ];
    expect(Object.keys(core).sort()).toEqual([...expected].sort());
  });
});
