import { randomUUID } from 'node:crypto';
import { toNewJob, type NewJob, type TraceContext } from '@stella-orch/core';
import { expect, test } from 'vitest';
import {
  cloneIdentity,
  expectCode,
  freshTenant,
  leaseOne,
  NO_BACKOFF,
  TEST_ACTOR,
  type ConformanceContext,
} from './job-store-fixtures.js';

const TRACE: TraceContext = {
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
};
const OPERATOR_TRACE: TraceContext = {
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00',
};

function tracedJob(trace: TraceContext | undefined, jobType = 'test.job'): NewJob {
  return toNewJob(
    { jobType },
    { jobId: randomUUID(), correlationId: `corr-${randomUUID()}`, maxAttempts: 1, trace },
  );
}

/** The W3C trace context a job keeps: written on create and batch create, read back, leased, cloned. */
export function traceContextTests(ctx: ConformanceContext): void {
  test('a job keeps the trace context it was created with, and hands it out with its lease', async () => {
    const tenant = freshTenant(ctx.store);
    const [created] = await tenant.createJobs({ jobs: [tracedJob(TRACE)], actor: TEST_ACTOR });
    expect(created!.job).toMatchObject(TRACE);
    expect(await tenant.getJob(created!.job.jobId)).toMatchObject(TRACE);
    const leased = await leaseOne(tenant);
    expect(leased.job).toMatchObject({ jobId: created!.job.jobId, ...TRACE });
  });

  test('a job created without a trace context has none, and a batch keeps each job’s own', async () => {
    const tenant = freshTenant(ctx.store);
    const jobs = [tracedJob(undefined), tracedJob(TRACE), tracedJob(OPERATOR_TRACE)];
    const created = await tenant.createJobs({ jobs, actor: TEST_ACTOR });
    expect(created[0]!.job).not.toHaveProperty('traceparent');
    expect(created[0]!.job).not.toHaveProperty('tracestate');
    expect(created[1]!.job).toMatchObject(TRACE);
    expect(created[2]!.job.traceparent).toBe(OPERATOR_TRACE.traceparent);
    expect(created[2]!.job).not.toHaveProperty('tracestate');
    const listed = await tenant.listJobs({ pageSize: 10 });
    expect(listed.items.find((j) => j.jobId === created[1]!.job.jobId)).toMatchObject(TRACE);
  });

  test('an idempotent repeat in another trace is the same job, with its first trace context', async () => {
    const tenant = freshTenant(ctx.store);
    const key = `k-${randomUUID()}`;
    const first = toNewJob(
      { jobType: 'test.job', idempotencyKey: key },
      { jobId: randomUUID(), correlationId: 'c', maxAttempts: 1, trace: TRACE },
    );
    const again = {
      ...first,
      jobId: randomUUID(),
      traceparent: OPERATOR_TRACE.traceparent,
      tracestate: null,
    };
    await tenant.createJobs({ jobs: [first], actor: TEST_ACTOR });
    const [repeat] = await tenant.createJobs({ jobs: [again], actor: TEST_ACTOR });
    expect(repeat).toMatchObject({ created: false, job: { jobId: first.jobId, ...TRACE } });
  });

  test('a retry or replay joins the operator request’s trace when it has one, else keeps the original’s', async () => {
    const tenant = freshTenant(ctx.store);
    await tenant.createJobs({ jobs: [tracedJob(TRACE)], actor: TEST_ACTOR });
    const { lease } = await leaseOne(tenant);
    const { job: failed } = await tenant.completeJob({
      ...lease,
      outcome: 'failed',
      error: { type: 'Fatal', message: 'no', retryable: false },
      retryDelaysMs: NO_BACKOFF,
    });
    const kept = await tenant.replayJob({ jobId: failed.jobId, newJob: cloneIdentity(), actor: TEST_ACTOR });
    expect(kept.job).toMatchObject({ replayOf: failed.jobId, ...TRACE });
    const joined = await tenant.retryJob({
      jobId: failed.jobId,
      newJob: { ...cloneIdentity(), traceparent: OPERATOR_TRACE.traceparent, tracestate: null },
      actor: TEST_ACTOR,
    });
    expect(joined.job.traceparent).toBe(OPERATOR_TRACE.traceparent);
    expect(joined.job).not.toHaveProperty('tracestate');
  });

  test('the ledger refuses a trace context that is not version 00 W3C, and writes nothing', async () => {
    const tenant = freshTenant(ctx.store);
    const bad: Partial<NewJob>[] = [
      { traceparent: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01' },
      { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` },
      { traceparent: `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01` },
      { traceparent: 'cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      { traceparent: null, tracestate: 'congo=t61rcWkgMzE' },
      { tracestate: Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',') },
      { tracestate: `a=${'v'.repeat(520)}` },
    ];
    for (const fields of bad) {
      await expectCode(
        tenant.createJobs({ jobs: [{ ...tracedJob(TRACE), ...fields }], actor: TEST_ACTOR }),
        'INTERNAL',
      );
    }
    expect((await tenant.listJobs({ pageSize: 10 })).items).toEqual([]);
  });
}
