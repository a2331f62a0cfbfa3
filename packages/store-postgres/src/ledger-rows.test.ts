import { randomUUID } from 'node:crypto';
import { toNewJob, type JobStore } from '@stella-orch/core';
import { createTestDatabase, requireServices } from '@stella-orch/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openLedger } from './open-ledger.js';
import type { SqlDriver } from './sql-driver.js';

// What the port cannot show: the outbox events and history rows written with each transition.
const postgres = await requireServices(['postgres'], 'ledger row tests on PostgreSQL');

const ACTOR = { subject: 'ops', clientId: null, scopes: [] };
const NO_BACKOFF = [0, 0, 0];

interface EventRow {
  readonly event_type: string;
  readonly attempt: number;
  readonly data: Record<string, unknown> | null;
}

function rowTests(open: () => Promise<{ driver: SqlDriver; store: JobStore; cleanup(): Promise<void> }>) {
  let ledger: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    ledger = await open();
  });
  afterAll(async () => {
    await ledger.cleanup();
  });

  const events = (tenantId: string, jobId: string) =>
    ledger.driver.query<EventRow>(
      'SELECT event_type, attempt, data FROM orch.events WHERE tenant_id = $1 AND job_id = $2::uuid ORDER BY event_id',
      [tenantId, jobId],
    );
  const historyCount = async (tenantId: string, jobId: string) =>
    (
      await ledger.driver.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM orch.job_history WHERE tenant_id = $1 AND job_id = $2::uuid',
        [tenantId, jobId],
      )
    )[0]!.n;
  const submit = async (tenantId: string, maxAttempts = 3) => {
    const job = toNewJob(
      { jobType: 'rows', maxAttempts },
      { jobId: randomUUID(), correlationId: 'c', maxAttempts },
    );
    await ledger.store.forTenant(tenantId).createJobs({ jobs: [job], actor: ACTOR });
    return job.jobId;
  };
  const lease = async (tenantId: string) => {
    const [leased] = await ledger.store
      .forTenant(tenantId)
      .leaseJobs({ jobTypes: ['rows'], limit: 1, leaseDurationMs: 30_000, workerId: 'w1' });
    return leased!.lease;
  };

  test('a job that retries and then dead-letters writes one event per transition, two for the dead letter', async () => {
    const tenantId = `t-${randomUUID()}`;
    const tenant = ledger.store.forTenant(tenantId);
    const jobId = await submit(tenantId, 2);
    const first = await lease(tenantId);
    await tenant.heartbeat({ ...first, leaseDurationMs: 30_000 });
    await tenant.completeJob({
      ...first,
      outcome: 'failed',
      error: { type: 'Flaky', message: 'm', retryable: true },
      retryDelaysMs: NO_BACKOFF,
    });
    const second = await lease(tenantId);
    await tenant.completeJob({
      ...second,
      outcome: 'failed',
      error: { type: 'Flaky', message: 'm', retryable: true },
      retryDelaysMs: NO_BACKOFF,
    });

    const [entry] = (await tenant.listDeadLetters({ pageSize: 1 })).items;
    expect(await events(tenantId, jobId)).toEqual([
      { event_type: 'job.created', attempt: 0, data: { actor: 'ops' } },
      {
        event_type: 'job.leased',
        attempt: 1,
        data: { leaseId: first.leaseId, fencingToken: 1, workerId: 'w1' },
      },
      { event_type: 'job.running', attempt: 1, data: { workerId: 'w1' } },
      {
        event_type: 'job.retry_scheduled',
        attempt: 1,
        data: expect.objectContaining({ errorType: 'Flaky' }) as unknown,
      },
      {
        event_type: 'job.leased',
        attempt: 2,
        data: { leaseId: second.leaseId, fencingToken: 2, workerId: 'w1' },
      },
      { event_type: 'job.failed', attempt: 2, data: { errorType: 'Flaky' } },
      { event_type: 'job.dead_lettered', attempt: 2, data: { entryId: entry!.entryId } },
    ]);
    expect(await historyCount(tenantId, jobId)).toBe(6);
  });

  test('cancel, cancel request and success each write their event', async () => {
    const tenantId = `t-${randomUUID()}`;
    const tenant = ledger.store.forTenant(tenantId);
    const queued = await submit(tenantId);
    await tenant.cancelJob({ jobId: queued, reason: 'dup', actor: ACTOR });
    expect((await events(tenantId, queued)).map((e) => [e.event_type, e.data])).toEqual([
      ['job.created', { actor: 'ops' }],
      ['job.canceled', { reason: 'dup', actor: 'ops' }],
    ]);

    const held = await submit(tenantId);
    const heldLease = await lease(tenantId);
    await tenant.cancelJob({ jobId: held, reason: 'stop', actor: ACTOR });
    await tenant.cancelJob({ jobId: held, reason: 'stop', actor: ACTOR });
    await tenant.completeJob({
      ...heldLease,
      outcome: 'failed',
      error: { type: 'E', message: 'm', retryable: true },
      retryDelaysMs: NO_BACKOFF,
    });
    expect((await events(tenantId, held)).map((e) => e.event_type)).toEqual([
      'job.created',
      'job.leased',
      'job.cancel_requested',
      'job.canceled',
    ]);
    expect(await historyCount(tenantId, held)).toBe(3);

    const ok = await submit(tenantId);
    await tenant.completeJob({
      ...(await lease(tenantId)),
      outcome: 'succeeded',
      result: 1,
      retryDelaysMs: NO_BACKOFF,
    });
    expect((await events(tenantId, ok)).map((e) => e.event_type)).toEqual([
      'job.created',
      'job.leased',
      'job.succeeded',
    ]);
  });

  test('fencing tokens only grow, and a refused call writes no row anywhere', async () => {
    const tenantId = `t-${randomUUID()}`;
    const tenant = ledger.store.forTenant(tenantId);
    const jobId = await submit(tenantId, 5);
    const tokens: number[] = [];
    let last = await lease(tenantId);
    for (let i = 0; i < 3; i++) {
      tokens.push(last.fencingToken);
      await tenant.completeJob({
        ...last,
        outcome: 'failed',
        error: { type: 'E', message: 'm', retryable: true },
        retryDelaysMs: NO_BACKOFF,
      });
      last = await lease(tenantId);
    }
    tokens.push(last.fencingToken);
    expect(tokens).toEqual([1, 2, 3, 4]);

    const before = [await events(tenantId, jobId), await historyCount(tenantId, jobId)];
    await expect(
      tenant.heartbeat({ leaseId: last.leaseId, fencingToken: 3, leaseDurationMs: 30_000 }),
    ).rejects.toThrow(/not held/);
    await expect(
      tenant.completeJob({ leaseId: last.leaseId, fencingToken: 3, outcome: 'succeeded', retryDelaysMs: [] }),
    ).rejects.toThrow(/not held/);
    expect([await events(tenantId, jobId), await historyCount(tenantId, jobId)]).toEqual(before);
  });
}

describe('ledger rows on PGlite', () => {
  rowTests(async () => {
    const { driver, store } = await openLedger();
    return { driver, store, cleanup: () => store.close() };
  });
});

describe.skipIf(!postgres)('ledger rows on PostgreSQL', () => {
  rowTests(async () => {
    const database = await createTestDatabase();
    const { driver, store } = await openLedger({ databaseUrl: database.url });
    return {
      driver,
      store,
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  });
});
