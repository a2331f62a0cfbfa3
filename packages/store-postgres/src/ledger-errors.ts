import { OrchestratorError } from '@stella-orch/core';
import { isTransientSqlError, recode, SqlError } from './sql-errors.js';

/**
 * The refusal of an idempotency key already used for another request: `resource` names what the key
 * made the first time (`{ jobId }` or `{ runId }`).
 */
export function idempotencyConflict(
  key: string | null,
  resource: { readonly jobId: string } | { readonly runId: string },
): OrchestratorError {
  const [field, id] = 'jobId' in resource ? ['jobId', resource.jobId] : ['runId', resource.runId];
  const noun = field === 'jobId' ? 'job' : 'run';
  return new OrchestratorError(
    'IDEMPOTENCY_CONFLICT',
    `idempotency key ${key ?? ''} was already used for another request (${noun} ${id})`,
    { details: { idempotencyKey: key, [field]: id } },
  );
}

/** How often an operation that hit a serialization failure or deadlock is run again. */
const MAX_TRANSIENT_RETRIES = 3;

/**
 * Gives a statement failure the code it means for a caller: a unique violation on an idempotency key is
 * `IDEMPOTENCY_CONFLICT`, a job naming a missing run `RUN_NOT_FOUND`, a signing key id used before and a
 * malformed value (SQLSTATE class 22: bad timestamp, number out of range …) `VALIDATION_FAILED`. Anything
 * else stays as it is.
 */
export function refineLedgerError(error: unknown): unknown {
  if (!(error instanceof SqlError)) return error;
  if (
    error.sqlState === '23505' &&
    (error.constraint === 'jobs_idempotency_key' || error.constraint === 'runs_idempotency_key')
  ) {
    return recode(error, 'IDEMPOTENCY_CONFLICT', 'the idempotency key was used with a different request');
  }
  if (error.sqlState === '23505' && error.constraint === 'signing_keys_pkey') {
    return recode(error, 'VALIDATION_FAILED', 'the signing key id is taken', {
      errors: [{ path: 'keyId', message: 'is the id of another key' }],
    });
  }
  if (error.sqlState === '23503' && error.constraint === 'jobs_run_fk') {
    return recode(error, 'RUN_NOT_FOUND', 'a job names a run that does not exist');
  }
  if (
    error.sqlState === '23503' &&
    (error.constraint === 'jobs_source_fk' || error.constraint === 'runs_source_fk')
  ) {
    return recode(error, 'SOURCE_NOT_FOUND', 'a job or run names a source that is not registered');
  }
  if (error.sqlState.startsWith('22')) {
    return recode(error, 'VALIDATION_FAILED', `the ledger refused a value: ${error.message}`, {
      errors: [{ path: '', message: error.message }],
    });
  }
  return error;
}

/**
 * Runs `operation`, running it again (up to 3 times) after a serialization failure or deadlock — safe
 * because each operation is one statement or one transaction — and refines what it finally throws.
 */
export async function runLedgerOperation<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt <= MAX_TRANSIENT_RETRIES && isTransientSqlError(error)) continue;
      throw refineLedgerError(error);
    }
  }
}

/** The `LEASE_LOST` answer of every fenced call whose lease is not current. */
export function leaseLost(leaseId: string): OrchestratorError {
  return new OrchestratorError(
    'LEASE_LOST',
    `lease ${leaseId} is not held: it expired, was superseded, ended, or never existed`,
    { details: { leaseId } },
  );
}

/** The `JOB_NOT_FOUND` answer. */
export function jobNotFound(jobId: string): OrchestratorError {
  return new OrchestratorError('JOB_NOT_FOUND', `job ${jobId} does not exist`, { details: { jobId } });
}

/**
 * Refuses an empty tenant id: every store's `forTenant` calls it first.
 * @throws OrchestratorError `VALIDATION_FAILED`
 */
export function requireTenantId(tenantId: string): void {
  if (tenantId.length === 0) {
    throw new OrchestratorError('VALIDATION_FAILED', 'the tenant id is empty', {
      details: { errors: [{ path: 'tenantId', message: 'must not be empty' }] },
    });
  }
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID: job, lease and artifact ids are, so anything else cannot match a row. */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** Whether `value` can be a fencing token (a positive 32-bit integer). */
export function isFencingToken(value: number): boolean {
  return Number.isInteger(value) && value > 0 && value <= 2_147_483_647;
}
