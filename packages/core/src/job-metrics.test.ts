import { describe, it, expect } from 'vitest';
import type { Job } from './job.js';
import {
  attemptOutcomeOf,
  completedAttemptOf,
  leaseGrantOf,
  noJobMetrics,
  reapedAttemptOf,
} from './job-metrics.js';

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
    status: 'leased',
    attempt: 1,
    maxAttempts: 3,
    idempotencyKey: null,
    correlationId: 'c',
    notBefore: null,
    nextEligibleAt: '2030-01-01T00:00:00.000Z',
    lease: null,
    cancelRequested: false,
    replayOf: null,
    lastError: null,
    progress: null,
    result: null,
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    startedAt: null,
    completedAt: null,
    ...overrides,
  };
}

const lease = { leaseId: 'l', fencingToken: 1, leaseUntil: '2030-01-01T00:01:00.000Z', workerId: 'w' };

describe('attemptOutcomeOf', () => {
  it('names each ledger disposition', () => {
    expect(attemptOutcomeOf('succeeded')).toBe('succeeded');
    expect(attemptOutcomeOf('retry_scheduled')).toBe('failed-retry');
    expect(attemptOutcomeOf('dead_lettered')).toBe('failed-dead-lettered');
    expect(attemptOutcomeOf('canceled')).toBe('canceled');
  });
});

describe('leaseGrantOf', () => {
  it('measures the wait from creation when the job was eligible at once', () => {
    const leased = job({ updatedAt: '2030-01-01T00:00:01.250Z' });
    expect(leaseGrantOf({ job: leased, lease })).toEqual({
      tenantId: 'acme',
      jobType: 'scan',
      queueWaitSeconds: 1.25,
    });
  });

  it('measures the wait from the end of a back-off (or notBefore), not from creation', () => {
    const leased = job({ nextEligibleAt: '2030-01-01T00:10:00.000Z', updatedAt: '2030-01-01T00:10:02.000Z' });
    expect(leaseGrantOf({ job: leased, lease }).queueWaitSeconds).toBe(2);
  });

  it('never reports a negative wait', () => {
    const leased = job({ nextEligibleAt: '2030-01-01T00:00:05.000Z', updatedAt: '2030-01-01T00:00:04.000Z' });
    expect(leaseGrantOf({ job: leased, lease }).queueWaitSeconds).toBe(0);
  });
});

describe('completedAttemptOf', () => {
  it('measures the run from the lease to the completion', () => {
    const ended = job({ status: 'succeeded', updatedAt: '2030-01-01T00:00:30.500Z' });
    expect(
      completedAttemptOf({ job: ended, disposition: 'succeeded', leasedAt: '2030-01-01T00:00:00.500Z' }),
    ).toEqual({ tenantId: 'acme', jobType: 'scan', outcome: 'succeeded', endedBy: 'worker', runSeconds: 30 });
  });

  it('has no run time when the lease time is unknown', () => {
    const ended = job({ status: 'failed' });
    expect(completedAttemptOf({ job: ended, disposition: 'dead_lettered', leasedAt: null })).toMatchObject({
      outcome: 'failed-dead-lettered',
      runSeconds: null,
    });
  });
});

describe('reapedAttemptOf', () => {
  it('is an attempt the reaper ended, without a run time', () => {
    expect(
      reapedAttemptOf({ tenantId: 'acme', jobId: 'j1', jobType: 'scan', disposition: 'canceled' }),
    ).toEqual({
      tenantId: 'acme',
      jobType: 'scan',
      outcome: 'canceled',
      endedBy: 'reaper',
      runSeconds: null,
    });
  });
});

describe('noJobMetrics', () => {
  it('accepts every report and records nothing', () => {
    expect(() => {
      noJobMetrics.jobsCreated([job({})], 'submit');
      noJobMetrics.jobsLeased([]);
      noJobMetrics.attemptsEnded([]);
      noJobMetrics.queuedJobCanceled(job({}));
      noJobMetrics.leasesLost('acme', 'complete', 1);
    }).not.toThrow();
  });
});
