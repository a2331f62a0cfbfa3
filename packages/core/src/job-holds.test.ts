import { describe, it, expect } from 'vitest';
import type { Job } from './job.js';
import { explainJob, JOB_CONDITION_CODES, type JobHoldFacts, type SourceHoldFacts } from './job-holds.js';

const NOW = '2030-01-01T12:00:00.000Z';
const PARENT_A = '11111111-1111-4111-8111-111111111111';
const PARENT_B = '22222222-2222-4222-8222-222222222222';

function job(overrides: Partial<Job>): Job {
  return {
    jobId: 'j1',
    tenantId: 'acme',
    projectId: null,
    sourceId: null,
    runId: null,
    jobType: 'scan',
    priority: 0,
    payload: {},
    payloadDigest: 'sha256:' + '0'.repeat(64),
    dependsOn: [],
    status: 'pending',
    attempt: 0,
    maxAttempts: 3,
    idempotencyKey: null,
    correlationId: 'c',
    notBefore: null,
    nextEligibleAt: '2030-01-01T11:00:00.000Z',
    lease: null,
    cancelRequested: false,
    replayOf: null,
    lastError: null,
    progress: null,
    result: null,
    createdAt: '2030-01-01T11:00:00.000Z',
    updatedAt: '2030-01-01T11:00:00.000Z',
    startedAt: null,
    completedAt: null,
    ...overrides,
  };
}

function facts(overrides: Partial<JobHoldFacts> = {}): JobHoldFacts {
  return {
    now: NOW,
    held: false,
    cancelReason: null,
    unmetParents: [],
    source: null,
    backfill: null,
    limits: null,
    lane: 'live',
    queueAhead: null,
    ...overrides,
  };
}

const liveSource: SourceHoldFacts = {
  sourceId: 'feed',
  enabled: true,
  paused: false,
  pauseReason: null,
  pauseTicket: null,
  pausedBy: null,
  pausedAt: null,
};

const pausedSource: SourceHoldFacts = {
  ...liveSource,
  paused: true,
  pauseReason: 'upstream outage',
  pauseTicket: 'INC-7',
  pausedBy: 'alice',
  pausedAt: '2030-01-01T11:50:00.000Z',
};

const codes = (why: ReturnType<typeof explainJob>): string[] => why.conditions.map((c) => c.code);

describe('explainJob', () => {
  it('says a waiting job waits for the parents that have not succeeded, with their status', () => {
    const why = explainJob(
      job({ status: 'waiting', dependsOn: [PARENT_A, PARENT_B, 'p3'] }),
      facts({
        unmetParents: [
          { jobId: PARENT_A, status: 'running' },
          { jobId: PARENT_B, status: 'pending' },
        ],
      }),
    );
    expect(why).toMatchObject({ jobId: 'j1', status: 'waiting', runnable: false, evaluatedAt: NOW });
    expect(why.conditions).toEqual([
      {
        code: 'DEPENDENCY_NOT_MET',
        message: `waiting for 2 of 3 parent job(s) to succeed: ${PARENT_A} (running), ${PARENT_B} (pending)`,
        details: {
          parents: [
            { jobId: PARENT_A, status: 'running' },
            { jobId: PARENT_B, status: 'pending' },
          ],
        },
      },
    ]);
  });

  it('tells a back-off after a failed attempt from a scheduled notBefore', () => {
    const backoff = explainJob(
      job({
        attempt: 2,
        nextEligibleAt: '2030-01-01T12:04:10.000Z',
        lastError: { type: 'HttpTimeout', message: 'upstream slow', retryable: true },
      }),
      facts(),
    );
    expect(backoff.runnable).toBe(false);
    expect(backoff.conditions).toEqual([
      {
        code: 'BACKOFF',
        message:
          'backing off after attempt 2 of 3 failed (HttpTimeout: upstream slow); next attempt not before ' +
          '2030-01-01T12:04:10.000Z (in 4m 10s)',
        until: '2030-01-01T12:04:10.000Z',
        details: { attempt: 2, maxAttempts: 3, errorType: 'HttpTimeout', errorMessage: 'upstream slow' },
      },
    ]);

    const scheduled = explainJob(
      job({ notBefore: '2030-01-02T14:00:00.000Z', nextEligibleAt: '2030-01-02T14:00:00.000Z' }),
      facts(),
    );
    expect(scheduled.conditions).toEqual([
      {
        code: 'NOT_BEFORE',
        message: 'scheduled: not before 2030-01-02T14:00:00.000Z (in 1d 2h)',
        until: '2030-01-02T14:00:00.000Z',
        details: { notBefore: '2030-01-02T14:00:00.000Z' },
      },
    ]);
  });

  it('does not report a time that has passed', () => {
    const why = explainJob(
      job({ attempt: 1, nextEligibleAt: NOW }),
      facts({ queueAhead: { count: 0, capped: false } }),
    );
    expect(codes(why)).toEqual(['READY']);
  });

  it('names who paused the source, when, why and the ticket; and a disabled source', () => {
    const why = explainJob(
      job({ sourceId: 'feed' }),
      facts({ held: true, source: { ...pausedSource, enabled: false } }),
    );
    expect(why.runnable).toBe(false);
    expect(why.conditions).toEqual([
      {
        code: 'SOURCE_PAUSED',
        message:
          'source feed is paused by alice at 2030-01-01T11:50:00.000Z (10m ago): upstream outage (ticket INC-7)',
        details: {
          sourceId: 'feed',
          pausedBy: 'alice',
          pausedAt: '2030-01-01T11:50:00.000Z',
          reason: 'upstream outage',
          ticket: 'INC-7',
        },
      },
      {
        code: 'SOURCE_DISABLED',
        message: 'source feed is disabled: its queued jobs wait until it is enabled',
        details: { sourceId: 'feed' },
      },
    ]);
  });

  it('reports every hold, in order: dependency, time, source', () => {
    const why = explainJob(
      job({
        status: 'waiting',
        dependsOn: [PARENT_A],
        sourceId: 'feed',
        notBefore: '2030-01-01T13:00:00.000Z',
        nextEligibleAt: '2030-01-01T13:00:00.000Z',
      }),
      facts({ held: true, source: pausedSource, unmetParents: [{ jobId: PARENT_A, status: 'leased' }] }),
    );
    expect(codes(why)).toEqual(['DEPENDENCY_NOT_MET', 'NOT_BEFORE', 'SOURCE_PAUSED']);
  });

  it('names who paused the backfill that made the job, after the source', () => {
    const backfill = {
      backfillId: 'bf-1',
      paused: true,
      pausedBy: 'bob',
      pausedAt: '2030-01-01T11:59:00.000Z',
    };
    const why = explainJob(job({ runId: 'r' }), facts({ held: true, source: pausedSource, backfill }));
    expect(codes(why)).toEqual(['SOURCE_PAUSED', 'BACKFILL_PAUSED']);
    expect(why.conditions[1]).toEqual({
      code: 'BACKFILL_PAUSED',
      message: 'backfill bf-1 is paused by bob at 2030-01-01T11:59:00.000Z (1m ago)',
      details: { backfillId: 'bf-1', pausedBy: 'bob', pausedAt: '2030-01-01T11:59:00.000Z' },
    });
    const active = explainJob(
      job({ runId: 'r' }),
      facts({ backfill: { ...backfill, paused: false }, queueAhead: { count: 0, capped: false } }),
    );
    expect(codes(active)).toEqual(['READY']);
  });

  it('says a held job with no known cause is held, never ready', () => {
    const why = explainJob(job({ sourceId: 'feed' }), facts({ held: true, source: liveSource }));
    expect(why.runnable).toBe(false);
    expect(codes(why)).toEqual(['HELD']);
  });

  it('says a ready job waits for a worker, with the jobs ahead of it', () => {
    const why = explainJob(
      job({ sourceId: 'feed' }),
      facts({ source: liveSource, queueAhead: { count: 3, capped: false } }),
    );
    expect(why.runnable).toBe(true);
    expect(why.conditions).toEqual([
      {
        code: 'READY',
        message:
          'ready: waiting for a worker to lease a scan job; 3 ready job(s) of this type are ahead of it',
        details: { jobType: 'scan', jobsAhead: 3, jobsAheadCapped: false },
      },
    ]);
    const busy = explainJob(job({}), facts({ queueAhead: { count: 1000, capped: true } }));
    expect(busy.conditions[0]?.message).toContain('more than 1000 ready job(s)');
    expect(busy.conditions[0]?.details).toMatchObject({ jobsAhead: 1000, jobsAheadCapped: true });
  });

  it('says who holds a leased or running job, and a requested cancel', () => {
    const lease = {
      leaseId: 'l',
      fencingToken: 1,
      leaseUntil: '2030-01-01T12:00:30.000Z',
      workerId: 'worker-7',
    };
    const leased = explainJob(job({ status: 'leased', attempt: 1, lease }), facts({ source: pausedSource }));
    expect(leased.runnable).toBe(false);
    expect(leased.conditions).toEqual([
      {
        code: 'LEASED',
        message: 'leased on worker worker-7, attempt 1 of 3; lease until 2030-01-01T12:00:30.000Z (in 30s)',
        until: '2030-01-01T12:00:30.000Z',
        details: { workerId: 'worker-7', leaseUntil: '2030-01-01T12:00:30.000Z', attempt: 1, maxAttempts: 3 },
      },
    ]);
    const canceling = explainJob(
      job({ status: 'running', attempt: 2, lease, cancelRequested: true }),
      facts({ cancelReason: 'operator: wrong input' }),
    );
    expect(codes(canceling)).toEqual(['LEASED', 'CANCEL_REQUESTED']);
    expect(canceling.conditions[0]?.message).toMatch(/^running on worker worker-7, attempt 2 of 3/);
    expect(canceling.conditions[1]?.details).toEqual({ reason: 'operator: wrong input' });
  });

  it('says when and how a terminal job ended', () => {
    const done = explainJob(
      job({ status: 'succeeded', attempt: 1, completedAt: '2030-01-01T11:58:00.000Z' }),
      facts(),
    );
    expect(done.conditions).toEqual([
      {
        code: 'TERMINAL',
        message: 'succeeded at 2030-01-01T11:58:00.000Z (2m ago)',
        details: { status: 'succeeded', completedAt: '2030-01-01T11:58:00.000Z' },
      },
    ]);
    const failed = explainJob(
      job({
        status: 'failed',
        attempt: 3,
        completedAt: '2030-01-01T11:00:00.000Z',
        lastError: { type: 'Boom', message: 'bad input', retryable: false },
      }),
      facts(),
    );
    expect(failed.conditions[0]?.message).toBe(
      'failed at 2030-01-01T11:00:00.000Z (1h ago) after attempt 3 of 3: Boom: bad input',
    );
    expect(failed.conditions[0]?.details).toMatchObject({ errorType: 'Boom', errorMessage: 'bad input' });
  });

  it('names the parent of a job canceled because a dependency failed', () => {
    const why = explainJob(
      job({ status: 'canceled', completedAt: NOW }),
      facts({ cancelReason: `dependency_failed: ${PARENT_A}` }),
    );
    expect(why.runnable).toBe(false);
    expect(why.conditions[0]).toEqual({
      code: 'TERMINAL',
      message: `canceled at ${NOW} (now): parent job ${PARENT_A} ended without succeeding (dependency_failed: ${PARENT_A})`,
      details: {
        status: 'canceled',
        completedAt: NOW,
        reason: `dependency_failed: ${PARENT_A}`,
        dependencyJobId: PARENT_A,
      },
    });
    const byOperator = explainJob(
      job({ status: 'canceled', completedAt: NOW }),
      facts({ cancelReason: 'no longer needed' }),
    );
    expect(byOperator.conditions[0]?.message).toBe(`canceled at ${NOW} (now): no longer needed`);
    expect(byOperator.conditions[0]?.details).not.toHaveProperty('dependencyJobId');
  });

  it('uses only documented codes', () => {
    expect(JOB_CONDITION_CODES).toEqual([
      'DEPENDENCY_NOT_MET',
      'NOT_BEFORE',
      'BACKOFF',
      'SOURCE_PAUSED',
      'SOURCE_DISABLED',
      'BACKFILL_PAUSED',
      'QUOTA_PAUSED',
      'QUOTA_ACTIVE_LIMIT',
      'QUOTA_RATE_LIMIT',
      'SOURCE_CONCURRENCY_LIMIT',
      'SOURCE_RATE_LIMIT',
      'THROTTLED',
      'CIRCUIT_OPEN',
      'CIRCUIT_HALF_OPEN',
      'BACKFILL_LANE_LIMIT',
      'HELD',
      'READY',
      'LEASED',
      'CANCEL_REQUESTED',
      'TERMINAL',
    ]);
  });
});
