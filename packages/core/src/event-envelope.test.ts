import { describe, expect, it } from 'vitest';
import { EVENT_SCHEMA, eventIdempotencyKey, toEventEnvelope, type StoredEvent } from './event-envelope.js';

const JOB_ID = '0b6c2a52-8f0e-4c1e-9d39-6a3f5c1f2e11';

function stored(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    position: { txId: 7n, eventId: 42n },
    eventId: '42',
    eventType: 'job.leased',
    occurredAt: '2026-11-24T10:00:00.000Z',
    tenantId: 'acme',
    jobId: JOB_ID,
    attempt: 2,
    actor: 'worker-1',
    actorScopes: null,
    correlationId: null,
    data: { leaseId: 'lease-1', fencingToken: 2, workerId: 'worker-1' },
    job: {
      jobType: 'scan.image',
      runId: 'run-1',
      projectId: 'p1',
      sourceId: 'nvd',
      correlationId: 'corr-1',
      payloadDigest: 'sha256:abc',
    },
    ...overrides,
  };
}

describe('toEventEnvelope', () => {
  it('builds an orch.event.v1 envelope of a job event from the row and its job', () => {
    expect(toEventEnvelope(stored())).toEqual({
      schema: EVENT_SCHEMA,
      eventId: '42',
      eventType: 'job.leased',
      occurredAt: '2026-11-24T10:00:00.000Z',
      tenantId: 'acme',
      projectId: 'p1',
      sourceId: 'nvd',
      jobId: JOB_ID,
      runId: 'run-1',
      jobType: 'scan.image',
      attempt: 2,
      correlationId: 'corr-1',
      idempotencyKey: `orch-job.leased-${JOB_ID}-2`,
      actor: { subject: 'worker-1', scopes: [] },
      job: {
        id: JOB_ID,
        type: 'scan.image',
        runId: 'run-1',
        attempt: 2,
        leaseId: 'lease-1',
        workerId: 'worker-1',
        status: 'leased',
        reason: null,
        payloadDigest: 'sha256:abc',
      },
      data: { leaseId: 'lease-1', fencingToken: 2, workerId: 'worker-1' },
    });
  });

  it('gives the status each job event leaves and the reason a failure or cancel carries', () => {
    const cases: readonly [string, Record<string, string> | null, string | null, string | null][] = [
      ['job.created', null, 'pending', null],
      ['job.running', { workerId: 'w' }, 'running', null],
      ['job.retry_scheduled', { errorType: 'Flaky' }, 'pending', 'Flaky'],
      ['job.succeeded', null, 'succeeded', null],
      ['job.failed', { errorType: 'Boom' }, 'failed', 'Boom'],
      ['job.dead_lettered', { entryId: 'e' }, 'failed', null],
      ['job.canceled', { reason: 'not needed' }, 'canceled', 'not needed'],
      ['job.cancel_requested', { reason: 'stop' }, null, 'stop'],
    ];
    for (const [eventType, data, status, reason] of cases) {
      const envelope = toEventEnvelope(stored({ eventType, data }));
      expect(envelope.job?.status, eventType).toBe(status);
      expect(envelope.job?.reason, eventType).toBe(reason);
      expect(envelope.data).toEqual(data ?? {});
    }
  });

  it('prefers the writer correlation and keeps the actor scopes it knew', () => {
    const envelope = toEventEnvelope(
      stored({
        eventType: 'operator.job.cancel',
        correlationId: 'req-9',
        actor: 'alice',
        actorScopes: ['orch:operate', 'orch:read'],
        data: { auditId: 'a-1', auditSequence: 3 },
      }),
    );
    expect(envelope.correlationId).toBe('req-9');
    expect(envelope.actor).toEqual({ subject: 'alice', scopes: ['orch:operate', 'orch:read'] });
    expect(envelope.idempotencyKey).toBe('orch-operator.job.cancel-a-1');
    expect(envelope.job?.status).toBeNull();
  });

  it('leaves the job fields null when the event is about no job or the job is gone', () => {
    const noJob = toEventEnvelope(
      stored({
        eventType: 'operator.client.add',
        jobId: null,
        attempt: null,
        job: null,
        actor: null,
        data: null,
      }),
    );
    expect(noJob).toMatchObject({
      jobId: null,
      runId: null,
      jobType: null,
      projectId: null,
      sourceId: null,
      correlationId: null,
      job: null,
      data: {},
      actor: { subject: 'system', scopes: [] },
      idempotencyKey: 'orch-operator.client.add-42',
    });
    const gone = toEventEnvelope(stored({ job: null, data: null }));
    expect(gone.job).toEqual({
      id: JOB_ID,
      type: null,
      runId: null,
      attempt: 2,
      leaseId: null,
      workerId: null,
      status: 'leased',
      reason: null,
      payloadDigest: null,
    });
  });
});

describe('eventIdempotencyKey', () => {
  it('is orch-{eventType}-{jobId}-{attempt} for job events (attempt 0 when unknown)', () => {
    expect(eventIdempotencyKey(stored({ eventType: 'job.created', attempt: 0 }))).toBe(
      `orch-job.created-${JOB_ID}-0`,
    );
    expect(eventIdempotencyKey(stored({ eventType: 'job.created', attempt: null }))).toBe(
      `orch-job.created-${JOB_ID}-0`,
    );
  });

  it('uses the audit id of operator events, else the event id', () => {
    expect(eventIdempotencyKey(stored({ eventType: 'operator.job.retry', data: { auditId: 'a-7' } }))).toBe(
      'orch-operator.job.retry-a-7',
    );
    expect(eventIdempotencyKey(stored({ eventType: 'operator.job.retry', data: { auditId: 7 } }))).toBe(
      'orch-operator.job.retry-42',
    );
    expect(eventIdempotencyKey(stored({ eventType: 'job.created', jobId: null }))).toBe(
      'orch-job.created-42',
    );
  });
});
