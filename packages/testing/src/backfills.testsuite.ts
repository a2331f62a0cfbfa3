import { randomUUID } from 'node:crypto';
import {
  backfillRequestDigest,
  OrchestratorError,
  planBackfill,
  type AuditTrail,
  type BackfillRequest,
  type BackfillStore,
  type JobStore,
  type NewBackfill,
  type SourceStore,
  type TenantJobStore,
} from '@stella-orch/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LedgerSql } from './audit-fixtures.js';
import { cloneIdentity, createOne, expectCode, NO_BACKOFF, TEST_ACTOR } from './job-store-fixtures.js';
import { registerTestSource } from './sources.testsuite.js';

/** Makes the backfill store under test with the job store, sources and audit trail of the same ledger. */
export type BackfillStoreFactory = () => Promise<{
  readonly backfills: BackfillStore;
  readonly sources: SourceStore;
  readonly store: JobStore;
  readonly audit: AuditTrail;
  readonly sql: LedgerSql;
  cleanup(): Promise<void>;
}>;

/** A backfill request as the API would hand it to the store (checked, with its digest). */
export function newBackfill(
  request: BackfillRequest,
  options: { readonly idempotencyKey?: string; readonly maxJobs?: number } = {},
): NewBackfill {
  const { errors, plan, tooMany } = planBackfill(request, options.maxJobs ?? 10_000);
  if (plan === null || tooMany) throw new Error(`not a valid backfill: ${JSON.stringify(errors)}`);
  return {
    request,
    plan,
    reason: 'reingest 2024',
    ticket: 'OPS-42',
    defaultMaxAttempts: 3,
    correlationId: `corr-${randomUUID()}`,
    idempotencyKey: options.idempotencyKey ?? null,
    requestDigest: backfillRequestDigest(request, plan),
  };
}

const DAY = { windowStart: '2024-01-01T00:00:00Z', windowEnd: '2024-01-02T00:00:00Z', step: 'PT6H' } as const;

/**
 * The conformance suite of the {@link BackfillStore} port: create (one run, one job per step in the
 * backfill lane, audited), the refusals (unknown or disabled source, overlap — also between concurrent
 * creates — and idempotency conflicts) writing nothing, the dry-run preview, pause / resume / cancel and
 * their interaction with a source's hold, progress and completion, and the live watermark. Every test
 * works in a tenant of its own.
 */
export function backfillStoreConformance(name: string, factory: BackfillStoreFactory): void {
  describe(`BackfillStore conformance: ${name}`, () => {
    let made: Awaited<ReturnType<BackfillStoreFactory>>;
    beforeAll(async () => {
      made = await factory();
    });
    afterAll(async () => {
      await made.cleanup();
    });

    const tenants = async () => {
      const tenantId = `tenant-${randomUUID()}`;
      const sources = made.sources.forTenant(tenantId);
      return {
        tenantId,
        sourceId: await registerTestSource(sources),
        sources,
        backfills: made.backfills.forTenant(tenantId),
        jobs: made.store.forTenant(tenantId),
        audit: made.audit.forTenant(tenantId),
      };
    };

    const written = async (tenantId: string) => {
      const [row] = await made.sql.query<{ backfills: number; jobs: number; runs: number; audit: number }>(
        `SELECT (SELECT count(*)::int FROM orch.backfills WHERE tenant_id = $1) AS backfills,
           (SELECT count(*)::int FROM orch.jobs WHERE tenant_id = $1) AS jobs,
           (SELECT count(*)::int FROM orch.runs WHERE tenant_id = $1) AS runs,
           (SELECT count(*)::int FROM orch.audit_entries WHERE tenant_id = $1) AS audit`,
        [tenantId],
      );
      return row;
    };

    const leaseAll = (jobs: TenantJobStore, jobType = 'reingest') =>
      jobs.leaseJobs({ jobTypes: [jobType], limit: 100, leaseDurationMs: 30_000, workerId: 'w' });

    test('a job shows its lane and event time, and a retry keeps both', async () => {
      const { sourceId, backfills, jobs } = await tenants();
      const { backfill } = await backfills.createBackfill({
        backfill: newBackfill({ sourceId, jobType: 'reingest', ...DAY }),
        actor: TEST_ACTOR,
      });
      const [first] = (await jobs.listJobs({ runId: backfill.runId, pageSize: 10 })).items;
      expect(first).toMatchObject({ lane: 'backfill' });
      const eventTime = '2024-03-01T00:00:00.000Z';
      const live = await createOne(jobs, { jobType: 'live.ingest', sourceId, eventTime });
      expect(live).toMatchObject({ eventTime });
      expect(live).not.toHaveProperty('lane');
      for (const jobType of ['reingest', 'live.ingest']) {
        const [leased] = await jobs.leaseJobs({
          jobTypes: [jobType],
          limit: 1,
          leaseDurationMs: 30_000,
          workerId: 'w',
        });
        await jobs.completeJob({
          ...leased!.lease,
          outcome: 'failed',
          error: { type: 'Bad', message: 'no', retryable: false },
          retryDelaysMs: [],
        });
        const { job: retried } = await jobs.retryJob({
          jobId: leased!.job.jobId,
          newJob: cloneIdentity(),
          actor: TEST_ACTOR,
        });
        // A backfill's job retried stays in the backfill lane (and under its share of the limits).
        expect(retried).toMatchObject({ replayOf: leased!.job.jobId });
        expect(retried.lane).toBe(leased!.job.lane);
        expect(retried.eventTime).toBe(leased!.job.eventTime);
      }
      const [lanes] = await made.sql.query<{ backfill: number }>(
        `SELECT count(*) FILTER (WHERE lane = 'backfill')::int AS backfill FROM orch.jobs WHERE tenant_id = $1 AND replay_of IS NOT NULL`,
        [first!.tenantId],
      );
      expect(lanes?.backfill).toBe(1);
    });

    test('creates the backfill, its run and one job per step in the backfill lane, audited', async () => {
      const { tenantId, sourceId, backfills, jobs, audit } = await tenants();
      const request = { sourceId, jobType: 'reingest', ...DAY, payload: { feed: 'nvd' }, priority: 5 };
      const { backfill, created } = await backfills.createBackfill({
        backfill: newBackfill(request),
        actor: TEST_ACTOR,
        audit: { reason: 'reingest 2024', ticket: 'OPS-42', correlationId: 'corr-1' },
      });
      expect(created).toBe(true);
      expect(backfill).toMatchObject({
        sourceId,
        jobType: 'reingest',
        windowStart: '2024-01-01T00:00:00.000Z',
        windowEnd: '2024-01-02T00:00:00.000Z',
        step: 'PT6H',
        stepSeconds: 21_600,
        status: 'active',
        totalJobs: 4,
        reason: 'reingest 2024',
        ticket: 'OPS-42',
        payloadTemplate: { feed: 'nvd' },
        priority: 5,
        maxAttempts: 3,
      });
      const page = await jobs.listJobs({ runId: backfill.runId, pageSize: 10 });
      const payloads = page.items
        .map((job) => job.payload)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      expect(payloads).toEqual([
        { feed: 'nvd', window: { start: '2024-01-01T00:00:00.000Z', end: '2024-01-01T06:00:00.000Z' } },
        { feed: 'nvd', window: { start: '2024-01-01T06:00:00.000Z', end: '2024-01-01T12:00:00.000Z' } },
        { feed: 'nvd', window: { start: '2024-01-01T12:00:00.000Z', end: '2024-01-01T18:00:00.000Z' } },
        { feed: 'nvd', window: { start: '2024-01-01T18:00:00.000Z', end: '2024-01-02T00:00:00.000Z' } },
      ]);
      expect(page.items.every((job) => job.sourceId === sourceId && job.priority === 5)).toBe(true);
      const lanes = await made.sql.query<{ lane: string }>(
        'SELECT DISTINCT lane FROM orch.jobs WHERE tenant_id = $1',
        [tenantId],
      );
      expect(lanes).toEqual([{ lane: 'backfill' }]);
      const entries = await audit.listAuditEntries({ pageSize: 10 });
      expect(entries.items.map((entry) => entry.action)).toEqual(['backfill.create', 'source.register']);
      expect(entries.items[0]).toMatchObject({
        action: 'backfill.create',
        resourceType: 'backfill',
        resourceId: backfill.backfillId,
        reason: 'reingest 2024',
        ticket: 'OPS-42',
        after: { status: 'active', totalJobs: 4, runId: backfill.runId },
      });
      const events = await made.sql.query<{ event_type: string }>(
        `SELECT event_type FROM orch.events WHERE tenant_id = $1 AND event_type LIKE 'operator.backfill.%'`,
        [tenantId],
      );
      expect(events).toEqual([{ event_type: 'operator.backfill.create' }]);
      const got = await backfills.getBackfill(backfill.backfillId);
      expect(got).toMatchObject({
        ...backfill,
        progress: { counts: { pending: 4 }, finished: 0, percentDone: 0, watermark: null },
      });
      expect(await backfills.getBackfill(randomUUID())).toBeNull();
      expect(await backfills.getBackfill('not-a-uuid')).toBeNull();
    });

    test('refuses an overlapping open backfill of the same source and job type, naming it; nothing is written', async () => {
      const { tenantId, sourceId, backfills } = await tenants();
      const first = await backfills.createBackfill({
        backfill: newBackfill({ sourceId, jobType: 'reingest', ...DAY }),
        actor: TEST_ACTOR,
      });
      const before = await written(tenantId);
      const error = await expectCode(
        backfills.createBackfill({
          backfill: newBackfill({
            sourceId,
            jobType: 'reingest',
            windowStart: '2024-01-01T23:00:00Z',
            windowEnd: '2024-01-03T00:00:00Z',
            step: 'PT1H',
          }),
          actor: TEST_ACTOR,
        }),
        'BACKFILL_OVERLAP',
      );
      expect((error as OrchestratorError).details).toMatchObject({
        backfillId: first.backfill.backfillId,
        status: 'active',
      });
      await expectCode(
        backfills.previewBackfill(newBackfill({ sourceId, jobType: 'reingest', ...DAY })),
        'BACKFILL_OVERLAP',
      );
      expect(await written(tenantId)).toEqual(before);
      // Adjacent windows, another job type: no overlap.
      await backfills.createBackfill({
        backfill: newBackfill({
          sourceId,
          jobType: 'reingest',
          windowStart: '2024-01-02T00:00:00Z',
          windowEnd: '2024-01-03T00:00:00Z',
          step: 'P1D',
        }),
        actor: TEST_ACTOR,
      });
      await backfills.createBackfill({
        backfill: newBackfill({ sourceId, jobType: 'other', ...DAY }),
        actor: TEST_ACTOR,
      });
      // A paused backfill still blocks; a canceled one does not.
      await backfills.changeBackfillState({
        backfillId: first.backfill.backfillId,
        change: { action: 'pause' },
        actor: TEST_ACTOR,
      });
      await expectCode(
        backfills.createBackfill({
          backfill: newBackfill({ sourceId, jobType: 'reingest', ...DAY }),
          actor: TEST_ACTOR,
        }),
        'BACKFILL_OVERLAP',
      );
      await backfills.changeBackfillState({
        backfillId: first.backfill.backfillId,
        change: { action: 'cancel', reason: 'wrong window' },
        actor: TEST_ACTOR,
      });
      const again = await backfills.createBackfill({
        backfill: newBackfill({ sourceId, jobType: 'reingest', ...DAY }),
        actor: TEST_ACTOR,
      });
      expect(again.created).toBe(true);
    });

    test('concurrent overlapping creates: exactly one wins, the other is refused naming it', async () => {
      const { tenantId, sourceId, backfills } = await tenants();
      const attempts = await Promise.allSettled(
        Array.from({ length: 4 }, (_, i) =>
          backfills.createBackfill({
            backfill: newBackfill({
              sourceId,
              jobType: 'reingest',
              windowStart: `2024-01-01T0${i}:00:00Z`,
              windowEnd: '2024-01-02T00:00:00Z',
              step: 'PT1H',
            }),
            actor: TEST_ACTOR,
          }),
        ),
      );
      const won = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value.backfill] : []));
      const lost = attempts.flatMap((a) => (a.status === 'rejected' ? [a.reason as OrchestratorError] : []));
      expect(won).toHaveLength(1);
      expect(lost.map((e) => [e.code, e.details?.['backfillId']])).toEqual(
        lost.map(() => ['BACKFILL_OVERLAP', won[0]?.backfillId]),
      );
      expect((await written(tenantId))?.backfills).toBe(1);
    });

    test('refuses an unknown or disabled source and a reused idempotency key; nothing is written', async () => {
      const { tenantId, sourceId, sources, backfills } = await tenants();
      const before = await written(tenantId);
      await expectCode(
        backfills.createBackfill({
          backfill: newBackfill({ sourceId: 'nope', jobType: 'reingest', ...DAY }),
          actor: TEST_ACTOR,
        }),
        'SOURCE_NOT_FOUND',
      );
      await expectCode(
        backfills.previewBackfill(newBackfill({ sourceId: 'nope', jobType: 'reingest', ...DAY })),
        'SOURCE_NOT_FOUND',
      );
      await sources.changeSourceState({ sourceId, change: { action: 'disable' }, actor: TEST_ACTOR });
      await expectCode(
        backfills.createBackfill({
          backfill: newBackfill({ sourceId, jobType: 'reingest', ...DAY }),
          actor: TEST_ACTOR,
        }),
        'SOURCE_DISABLED',
      );
      const afterDisable = await written(tenantId);
      expect({ ...afterDisable, audit: before?.audit }).toEqual(before);
      await sources.changeSourceState({ sourceId, change: { action: 'enable' }, actor: TEST_ACTOR });
      const keyed = newBackfill({ sourceId, jobType: 'reingest', ...DAY }, { idempotencyKey: 'bf-1' });
      const first = await backfills.createBackfill({ backfill: keyed, actor: TEST_ACTOR });
      const repeat = await backfills.createBackfill({
        backfill: newBackfill({ sourceId, jobType: 'reingest', ...DAY }, { idempotencyKey: 'bf-1' }),
        actor: TEST_ACTOR,
      });
      expect(repeat).toEqual({ backfill: first.backfill, created: false });
      const snapshot = await written(tenantId);
      const conflict = await expectCode(
        backfills.createBackfill({
          backfill: newBackfill(
            { sourceId, jobType: 'reingest', ...DAY, step: 'PT1H' },
            { idempotencyKey: 'bf-1' },
          ),
          actor: TEST_ACTOR,
        }),
        'IDEMPOTENCY_CONFLICT',
      );
      expect((conflict as OrchestratorError).details).toMatchObject({
        backfillId: first.backfill.backfillId,
      });
      expect(await written(tenantId)).toEqual(snapshot);
    });

    test('a preview lists the steps and estimates from history and the stored rate limit; it writes nothing', async () => {
      const { tenantId, sourceId, sources, backfills, jobs } = await tenants();
      const request = {
        sourceId,
        jobType: 'reingest',
        windowStart: '2024-01-01T00:00:00Z',
        windowEnd: '2024-01-11T00:00:00Z',
        step: 'PT1H',
      };
      const before = await written(tenantId);
      const blind = await backfills.previewBackfill(newBackfill(request));
      expect(blind).toMatchObject({
        dryRun: true,
        jobCount: 240,
        step: 'PT1H',
        firstStep: { start: '2024-01-01T00:00:00.000Z', end: '2024-01-01T01:00:00.000Z' },
        lastStep: { start: '2024-01-10T23:00:00.000Z', end: '2024-01-11T00:00:00.000Z' },
        stepsTruncated: true,
        estimate: { durationMs: null, basis: 'none', meanJobDurationMs: null },
      });
      expect(blind.steps).toHaveLength(100);
      expect(await written(tenantId)).toEqual(before);
      // History: one succeeded live job of the source and job type.
      await createOne(jobs, { sourceId, jobType: 'reingest' });
      const [leased] = await leaseAll(jobs);
      if (leased === undefined) throw new Error('nothing leased');
      await jobs.completeJob({
        ...leased.lease,
        outcome: 'succeeded',
        result: {},
        retryDelaysMs: NO_BACKOFF,
      });
      const learned = await backfills.previewBackfill(newBackfill(request));
      expect(learned.estimate.basis).toBe('history');
      expect(learned.estimate.meanJobDurationMs).toBeGreaterThanOrEqual(0);
      await sources.updateSource({
        sourceId,
        patch: { rateLimit: { burst: 1, refillPerSecond: 0.5 } },
        actor: TEST_ACTOR,
      });
      const capped = await backfills.previewBackfill(newBackfill(request));
      expect(capped.estimate).toMatchObject({ basis: 'history_and_rate_limit', rateLimitPerSecond: 0.5 });
      expect(capped.estimate.durationMs).toBeGreaterThanOrEqual(480_000);
    });

    test('pause holds the unfinished jobs; a source resume does not release them, and the other way round', async () => {
      const { sourceId, sources, backfills, jobs, audit } = await tenants();
      const { backfill } = await backfills.createBackfill({
        backfill: newBackfill({ sourceId, jobType: 'reingest', ...DAY, step: 'PT12H' }),
        actor: TEST_ACTOR,
      });
      const live = await createOne(jobs, { sourceId, jobType: 'reingest', priority: -5 });
      const pause = {
        backfillId: backfill.backfillId,
        change: { action: 'pause' as const },
        actor: TEST_ACTOR,
      };
      const paused = await backfills.changeBackfillState(pause);
      expect(paused).toMatchObject({
        changed: true,
        backfill: { status: 'paused', pausedBy: TEST_ACTOR.subject },
      });
      expect((await backfills.changeBackfillState(pause)).changed).toBe(false);
      // The source paused and resumed: the live job runs again, the backfill's stay held.
      const sourcePause = { action: 'pause' as const, pause: { reason: 'maintenance' } };
      await sources.changeSourceState({ sourceId, change: sourcePause, actor: TEST_ACTOR });
      await sources.changeSourceState({ sourceId, change: { action: 'resume' }, actor: TEST_ACTOR });
      expect((await leaseAll(jobs)).map((l) => l.job.jobId)).toEqual([live.jobId]);
      // Source paused, backfill resumed: still held by the source.
      await sources.changeSourceState({ sourceId, change: sourcePause, actor: TEST_ACTOR });
      const resume = {
        backfillId: backfill.backfillId,
        change: { action: 'resume' as const },
        actor: TEST_ACTOR,
      };
      expect((await backfills.changeBackfillState(resume)).backfill.status).toBe('active');
      expect(await leaseAll(jobs)).toEqual([]);
      await sources.changeSourceState({ sourceId, change: { action: 'resume' }, actor: TEST_ACTOR });
      expect(await leaseAll(jobs)).toHaveLength(2);
      const actions = (await audit.listAuditEntries({ pageSize: 20 })).items.map((e) => e.action);
      expect(actions.filter((a) => a.startsWith('backfill.'))).toEqual([
        'backfill.resume',
        'backfill.pause',
        'backfill.create',
      ]);
    });

    test('cancel ends the unfinished jobs with the reason (a held lease is flagged); then it is finished', async () => {
      const { tenantId, sourceId, backfills, jobs, audit } = await tenants();
      const { backfill } = await backfills.createBackfill({
        backfill: newBackfill({ sourceId, jobType: 'reingest', ...DAY }),
        actor: TEST_ACTOR,
      });
      const [running] = await jobs.leaseJobs({
        jobTypes: ['reingest'],
        limit: 1,
        leaseDurationMs: 30_000,
        workerId: 'w',
      });
      if (running === undefined) throw new Error('nothing leased');
      const result = await backfills.changeBackfillState({
        backfillId: backfill.backfillId,
        change: { action: 'cancel', reason: 'wrong window' },
        actor: TEST_ACTOR,
      });
      expect(result.backfill).toMatchObject({ status: 'canceled', canceledReason: 'wrong window' });
      const progress = await backfills.getBackfill(backfill.backfillId);
      expect(progress?.progress.counts).toEqual({ canceled: 3, leased: 1 });
      expect((await jobs.getJob(running.job.jobId))?.cancelRequested).toBe(true);
      const history = await made.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM orch.job_history WHERE tenant_id = $1 AND to_status = 'canceled'`,
        [tenantId],
      );
      expect(history[0]?.n).toBe(3);
      const [entry] = (await audit.listAuditEntries({ pageSize: 1 })).items;
      expect(entry).toMatchObject({
        action: 'backfill.cancel',
        after: { status: 'canceled', jobsCanceled: 3, jobsCancelRequested: 1 },
      });
      await expectCode(
        backfills.changeBackfillState({
          backfillId: backfill.backfillId,
          change: { action: 'resume' },
          actor: TEST_ACTOR,
        }),
        'BACKFILL_FINISHED',
      );
      await expectCode(
        backfills.changeBackfillState({
          backfillId: randomUUID(),
          change: { action: 'pause' },
          actor: TEST_ACTOR,
        }),
        'BACKFILL_NOT_FOUND',
      );
    });

    test('progress counts the run; a backfill whose jobs all ended reads completed and no longer blocks', async () => {
      const { sourceId, backfills, jobs } = await tenants();
      const { backfill } = await backfills.createBackfill({
        backfill: newBackfill({ sourceId, jobType: 'reingest', ...DAY, step: 'PT12H' }),
        actor: TEST_ACTOR,
      });
      const [first, second] = await leaseAll(jobs);
      if (first === undefined || second === undefined) throw new Error('two jobs expected');
      await jobs.completeJob({ ...first.lease, outcome: 'succeeded', result: {}, retryDelaysMs: NO_BACKOFF });
      expect((await backfills.getBackfill(backfill.backfillId))?.progress).toMatchObject({
        finished: 1,
        percentDone: 50,
      });
      await jobs.completeJob({
        ...second.lease,
        outcome: 'failed',
        error: { type: 'E', message: 'm', retryable: false },
        retryDelaysMs: NO_BACKOFF,
      });
      const done = await backfills.getBackfill(backfill.backfillId);
      expect(done).toMatchObject({ status: 'completed', progress: { percentDone: 100, watermark: null } });
      const listed = await backfills.listBackfills({ status: 'completed', pageSize: 10 });
      expect(listed.items.map((b) => b.backfillId)).toEqual([backfill.backfillId]);
      expect((await backfills.listBackfills({ status: 'active', pageSize: 10 })).items).toEqual([]);
      await expectCode(
        backfills.changeBackfillState({
          backfillId: backfill.backfillId,
          change: { action: 'pause' },
          actor: TEST_ACTOR,
        }),
        'BACKFILL_FINISHED',
      );
      const next = await backfills.createBackfill({
        backfill: newBackfill({ sourceId, jobType: 'reingest', ...DAY }),
        actor: TEST_ACTOR,
      });
      expect(next.created).toBe(true);
      const page1 = await backfills.listBackfills({ pageSize: 1, sourceId });
      expect(page1.items.map((b) => b.backfillId)).toEqual([next.backfill.backfillId]);
      const page2 = await backfills.listBackfills({
        pageSize: 1,
        sourceId,
        pageToken: page1.nextPageToken ?? '',
      });
      expect(page2.items.map((b) => [b.backfillId, b.status])).toEqual([[backfill.backfillId, 'completed']]);
    });

    test('succeeded live jobs with an event time advance the watermark, never back; others do not', async () => {
      const { sourceId, backfills, jobs } = await tenants();
      const finish = async (submission: Parameters<typeof createOne>[1], outcome: 'succeeded' | 'failed') => {
        const job = await createOne(jobs, { jobType: 'ingest', ...submission });
        const [leased] = await leaseAll(jobs, 'ingest');
        if (leased?.job.jobId !== job.jobId) throw new Error('leased another job');
        await jobs.completeJob({
          ...leased.lease,
          ...(outcome === 'succeeded'
            ? { outcome, result: {} }
            : { outcome, error: { type: 'E', message: 'm', retryable: false } }),
          retryDelaysMs: NO_BACKOFF,
        });
      };
      await finish({ sourceId }, 'succeeded');
      expect(await backfills.getWatermark(sourceId, 'ingest')).toBeNull();
      await finish({ sourceId, eventTime: '2024-03-01T10:00:00Z' }, 'succeeded');
      expect(await backfills.getWatermark(sourceId, 'ingest')).toMatchObject({
        sourceId,
        jobType: 'ingest',
        watermark: '2024-03-01T10:00:00.000Z',
      });
      await finish({ sourceId, eventTime: '2024-02-01T00:00:00Z' }, 'succeeded');
      await finish({ sourceId, eventTime: '2024-04-01T00:00:00Z' }, 'failed');
      await finish({ eventTime: '2024-05-01T00:00:00Z' }, 'succeeded');
      expect((await backfills.getWatermark(sourceId, 'ingest'))?.watermark).toBe('2024-03-01T10:00:00.000Z');
      await finish({ sourceId, eventTime: '2024-03-02T00:00:00+02:00' }, 'succeeded');
      expect((await backfills.getWatermark(sourceId, 'ingest'))?.watermark).toBe('2024-03-01T22:00:00.000Z');
      const listed = await backfills.listWatermarks({ pageSize: 10 });
      expect(listed.items.map((w) => [w.sourceId, w.jobType])).toEqual([[sourceId, 'ingest']]);
      expect((await backfills.listWatermarks({ pageSize: 10, jobType: 'other' })).items).toEqual([]);
    });
  });
}
