import { randomUUID } from 'node:crypto';
import {
  isOrchestratorError,
  toNewJob,
  type Actor,
  type ErrorCode,
  type JobStore,
  type JobSubmission,
  type LeasedJob,
  type NewJob,
  type SourceStore,
  type TenantJobStore,
} from '@stella-orch/core';
import { expect } from 'vitest';

/** What each conformance test gets: the store under test. */
export interface ConformanceContext {
  /** The store of the running suite (set in `beforeAll`). */
  readonly store: JobStore;
  /** The source registry on the same ledger (jobs naming a source need it registered). */
  readonly sources: SourceStore;
}

/** The actor of producer and operator calls in the suite. */
export const TEST_ACTOR: Actor = {
  subject: 'conformance-suite',
  clientId: 'tests',
  scopes: ['orch:operate'],
};

/** A handle on a fresh, random tenant: tests never see each other's data. */
export function freshTenant(store: JobStore): TenantJobStore {
  return store.forTenant(`tenant-${randomUUID()}`);
}

/** A job as the job service would write it for `submission`. */
export function newJob(submission: Partial<JobSubmission> = {}): NewJob {
  return toNewJob(
    { jobType: 'test.job', payload: { n: 1 }, ...submission },
    { jobId: randomUUID(), correlationId: `corr-${randomUUID()}`, maxAttempts: 3 },
  );
}

/** A clone identity for retry/replay. */
export function cloneIdentity(idempotencyKey: string | null = null) {
  return { jobId: randomUUID(), correlationId: `corr-${randomUUID()}`, idempotencyKey };
}

/** Creates one job and returns it. */
export async function createOne(tenant: TenantJobStore, submission: Partial<JobSubmission> = {}) {
  const [created] = await tenant.createJobs({ jobs: [newJob(submission)], actor: TEST_ACTOR });
  if (created === undefined) throw new Error('createJobs returned nothing');
  return created.job;
}

/** Leases exactly one job of `jobType` (default `test.job`), failing the test when there is none. */
export async function leaseOne(
  tenant: TenantJobStore,
  options: { readonly jobType?: string; readonly leaseDurationMs?: number; readonly workerId?: string } = {},
): Promise<LeasedJob> {
  const [leased] = await tenant.leaseJobs({
    jobTypes: [options.jobType ?? 'test.job'],
    limit: 1,
    leaseDurationMs: options.leaseDurationMs ?? 30_000,
    workerId: options.workerId ?? 'worker-1',
  });
  if (leased === undefined) throw new Error(`no ${options.jobType ?? 'test.job'} job to lease`);
  return leased;
}

/** Asserts that `promise` rejects with an OrchestratorError of `code`, and returns the error. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode) {
  const error = await promise.then(
    () => new Error(`expected ${code}, but the call succeeded`),
    (e: unknown) => e,
  );
  expect(isOrchestratorError(error) ? error.code : error).toBe(code);
  return error;
}

/** Milliseconds between two ISO timestamps. */
export function msBetween(from: string, to: string): number {
  return Date.parse(to) - Date.parse(from);
}

/** Waits `ms` of real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until the wall clock has passed `iso` by `marginMs`. */
export async function sleepUntilPast(iso: string, marginMs = 150): Promise<void> {
  const wait = Date.parse(iso) + marginMs - Date.now();
  if (wait > 0) await sleep(wait);
}

/** No back-off between attempts: retried jobs are eligible at once. */
export const NO_BACKOFF: readonly number[] = Array.from({ length: 100 }, () => 0);
