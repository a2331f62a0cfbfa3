import { randomUUID } from 'node:crypto';
import { toNewJob, type JobStore } from '@stella-orch/core';
import { createTestDatabase, migratedPgliteImage, requireServices } from '@stella-orch/testing';
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
      { event_type: 'job.created', attempt: 0, data: { reason: 'submitted' } },
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

  test('cancel, cancel request and success each write their event, and each cancel its operator event', async () => {
    const tenantId = `t-${randomUUID()}`;
    const tenant = ledger.store.forTenant(tenantId);
    const queued = await submit(tenantId);
    await tenant.cancelJob({ jobId: queued, reason: 'dup', actor: ACTOR });
    expect((await events(tenantId, queued)).map((e) => [e.event_type, e.data])).toEqual([
      ['job.created', { reason: 'submitted' }],
      ['job.canceled', { reason: 'dup' }],
      [
        'operator.job.cancel',
        expect.objectContaining({ action: 'job.cancel', resourceId: queued }) as unknown,
      ],
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
      'operator.job.cancel',
      'operator.job.cancel',
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

  test('a batch writes the events of each transition and nothing for a refused item', async () => {
    const tenantId = `t-${randomUUID()}`;
    const tenant = ledger.store.forTenant(tenantId);
    const jobs = [await submit(tenantId), await submit(tenantId), await submit(tenantId)];
    const [ok, retry, dead] = [await lease(tenantId), await lease(tenantId), await lease(tenantId)];
    const [canceled, refused] = [await submit(tenantId), await submit(tenantId)];
    const [gaveUp, kept] = [await lease(tenantId), await lease(tenantId)];
    const beats = await tenant.extendLeases({
      heartbeats: [ok, ok, retry, { ...kept, fencingToken: 9 }].map((l) => ({
        ...l,
        leaseDurationMs: 30_000,
      })),
    });
    expect(beats.map((b) => b.ok)).toEqual([true, true, true, false]);
    const error = (retryable: boolean) => ({ type: 'E', message: 'm', retryable });
    await tenant.completeJobs({
      completions: [
        { ...ok, outcome: 'succeeded', result: 1, retryDelaysMs: NO_BACKOFF },
        { ...retry, outcome: 'failed', error: error(true), retryDelaysMs: [250] },
        { ...dead, outcome: 'failed', error: error(false), retryDelaysMs: NO_BACKOFF },
        { ...gaveUp, outcome: 'canceled', retryDelaysMs: NO_BACKOFF },
        { ...ok, outcome: 'succeeded', result: 2, retryDelaysMs: NO_BACKOFF },
        { ...kept, fencingToken: 9, outcome: 'succeeded', retryDelaysMs: NO_BACKOFF },
      ],
    });

    const types = async (jobId: string) => (await events(tenantId, jobId)).map((e) => e.event_type);
    const ended = { ok: jobs[0]!, retry: jobs[1]!, dead: jobs[2]! };
    expect(await types(ended.ok)).toEqual(['job.created', 'job.leased', 'job.running', 'job.succeeded']);
    expect(await types(ended.retry)).toEqual([
      'job.created',
      'job.leased',
      'job.running',
      'job.retry_scheduled',
    ]);
    expect(await types(ended.dead)).toEqual(['job.created', 'job.leased', 'job.failed', 'job.dead_lettered']);
    expect(await types(canceled)).toEqual(['job.created', 'job.leased', 'job.canceled']);
    expect(await types(refused)).toEqual(['job.created', 'job.leased']);
    const counts = await Promise.all(
      [ended.ok, ended.retry, ended.dead, canceled, refused].map((id) => historyCount(tenantId, id)),
    );
    expect(counts).toEqual([4, 4, 3, 3, 2]);
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
    const { driver, store } = await openLedger({ pgliteImage: await migratedPgliteImage() });
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
