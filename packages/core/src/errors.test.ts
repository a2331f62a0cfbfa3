import { describe, it, expect } from 'vitest';
import {
  ERROR_CATALOGUE,
  OrchestratorError,
  isOrchestratorError,
  validationError,
  type ErrorCode,
} from './errors.js';

const EXPECTED_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  INVALID_CURSOR: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  INSUFFICIENT_SCOPE: 403,
  TENANT_MISMATCH: 403,
  CLIENT_NOT_FOUND: 404,
  CLIENT_EXISTS: 409,
  CLIENT_READ_ONLY: 409,
  SLO_NOT_FOUND: 404,
  SLO_NAME_TAKEN: 409,
  INCIDENT_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  DEPENDENCY_NOT_FOUND: 404,
  DEPENDENCY_CYCLE: 409,
  DAG_TOO_LARGE: 422,
  DEAD_LETTER_NOT_FOUND: 404,
  DEAD_LETTER_NOT_OPEN: 409,
  REPLAY_LIMIT_EXCEEDED: 409,
  AUDIT_ENTRY_NOT_FOUND: 404,
  AUDIT_CHECKPOINT_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INVALID_TRANSITION: 409,
  LEASE_LOST: 409,
  AUDIT_CHAIN_BROKEN: 409,
  IDEMPOTENCY_CONFLICT: 409,
  SOURCE_NOT_FOUND: 404,
  SOURCE_EXISTS: 409,
  SOURCE_DISABLED: 409,
  SOURCE_VERSION_MISMATCH: 412,
  BACKFILL_NOT_FOUND: 404,
  WATERMARK_NOT_FOUND: 404,
  BACKFILL_OVERLAP: 409,
  BACKFILL_FINISHED: 409,
  BACKFILL_TOO_LARGE: 400,
  QUOTA_NOT_FOUND: 404,
  QUOTA_EXISTS: 409,
  QUOTA_VERSION_MISMATCH: 412,
  THROTTLE_NOT_FOUND: 404,
  CIRCUIT_BREAKER_NOT_FOUND: 404,
  CIRCUIT_BREAKER_EXISTS: 409,
  CIRCUIT_BREAKER_VERSION_MISMATCH: 412,
  QUOTA_EXCEEDED: 429,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  STORE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

describe('ERROR_CATALOGUE', () => {
  it('holds exactly the documented codes with their HTTP statuses', () => {
    expect(Object.keys(ERROR_CATALOGUE).sort()).toEqual(Object.keys(EXPECTED_STATUS).sort());
    for (const [code, status] of Object.entries(EXPECTED_STATUS)) {
      expect(ERROR_CATALOGUE[code as ErrorCode].status, code).toBe(status);
    }
  });

  it('gives every code a non-empty title', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(entry.title.length, code).toBeGreaterThan(0);
    }
  });
});

describe('OrchestratorError', () => {
  it('is an Error with name, code, message and no details or cause by default', () => {
    const error = new OrchestratorError('JOB_NOT_FOUND', 'job j1 does not exist');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(OrchestratorError);
    expect(error.name).toBe('OrchestratorError');
    expect(error.code).toBe('JOB_NOT_FOUND');
    expect(error.message).toBe('job j1 does not exist');
    expect(error.details).toBeUndefined();
    expect(error.cause).toBeUndefined();
    expect('cause' in error).toBe(false);
    expect(typeof error.stack).toBe('string');
  });

  it('takes its status from the catalogue for every code', () => {
    for (const [code, status] of Object.entries(EXPECTED_STATUS)) {
      expect(new OrchestratorError(code as ErrorCode, 'x').status, code).toBe(status);
    }
  });

  it('keeps structured details', () => {
    const details = { jobId: 'j1', allowed: ['pending'] };
    const error = new OrchestratorError('INVALID_TRANSITION', 'nope', { details });
    expect(error.details).toBe(details);
    expect(error.status).toBe(409);
  });

  it('keeps the cause, including falsy causes other than undefined', () => {
    const cause = new Error('connection refused');
    const error = new OrchestratorError('STORE_UNAVAILABLE', 'ledger down', { cause });
    expect(error.cause).toBe(cause);
    expect(error.status).toBe(503);

    const zero = new OrchestratorError('INTERNAL', 'odd', { cause: 0 });
    expect('cause' in zero).toBe(true);
    expect(zero.cause).toBe(0);

    const nullCause = new OrchestratorError('INTERNAL', 'odd', { cause: null });
    expect('cause' in nullCause).toBe(true);
    expect(nullCause.cause).toBeNull();
  });

  it('treats an explicit undefined cause as no cause', () => {
    const error = new OrchestratorError('INTERNAL', 'x', { details: { a: 1 }, cause: undefined });
    expect('cause' in error).toBe(false);
    expect(error.details).toEqual({ a: 1 });
  });
});

describe('isOrchestratorError', () => {
  const error = new OrchestratorError('LEASE_LOST', 'gone');

  it('recognises an OrchestratorError with any code', () => {
    expect(isOrchestratorError(error)).toBe(true);
  });

  it('matches the code when one is given', () => {
    expect(isOrchestratorError(error, 'LEASE_LOST')).toBe(true);
    expect(isOrchestratorError(error, 'JOB_NOT_FOUND')).toBe(false);
  });

  it('refuses anything else', () => {
    const lookalike = Object.assign(new Error('gone'), { code: 'LEASE_LOST', name: 'OrchestratorError' });
    for (const value of [
      lookalike,
      new Error('x'),
      { code: 'LEASE_LOST' },
      'LEASE_LOST',
      null,
      undefined,
      42,
    ]) {
      expect(isOrchestratorError(value)).toBe(false);
      expect(isOrchestratorError(value, 'LEASE_LOST')).toBe(false);
    }
  });
});

describe('validationError', () => {
  it('builds a VALIDATION_FAILED error listing the field errors', () => {
    const errors = [
      { path: 'jobType', message: 'is required' },
      { path: 'jobs[1].priority', message: 'must be an integer' },
    ];
    const error = validationError(errors);
    expect(error).toBeInstanceOf(OrchestratorError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(400);
    expect(error.message).toBe('jobType: is required; jobs[1].priority: must be an integer');
    expect(error.details).toEqual({ errors });
    expect(error.details?.['errors']).toBe(errors);
  });

  it('copes with a single error and with none', () => {
    expect(validationError([{ path: 'a', message: 'b' }]).message).toBe('a: b');
    const empty = validationError([]);
    expect(empty.message).toBe('');
    expect(empty.details).toEqual({ errors: [] });
  });
});
