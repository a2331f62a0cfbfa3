import { randomUUID } from 'node:crypto';
import { explainJob, type JobStore, type SourceStore, type TenantJobStore } from '@stella-orch/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LedgerSql } from './audit-fixtures.js';
import { createOne, freshTenant } from './job-store-fixtures.js';
import { insertSourceRow } from './sources.testsuite.js';

/** What the limits suite runs against: a ledger and SQL access to define limits directly. */
export type LimitsFactory = () => Promise<{
  readonly store: JobStore;
  readonly sources: SourceStore;
  readonly sql: LedgerSql;
  readonly cleanup: () => Promise<void>;
}>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The limits enforced at the lease grant (docs/decisions/0016-admission-and-limits.md), each with short
 * real windows, defined straight in the ledger so that this suite depends only on the lease path.
 */
export function limitsConformance(name: string, factory: LimitsFactory): void {
  describe(`Limits at the lease grant: ${name}`, () => {
    let made: Awaited<ReturnType<LimitsFactory>> | undefined;
    const ledger = () => {
      if (made === undefined) throw new Error('the store under test was not made (see beforeAll)');
      return made;
    };
    beforeAll(async () => {
      made = await factory();
    });
    afterAll(async () => {
      await made?.cleanup();
    });

    async function source(
      tenant: TenantJobStore,
      limits: { burst?: number; refillPerSecond?: number; maxConcurrent?: number } = {},
    ): Promise<string> {
      const sourceId = `src-${randomUUID().slice(0, 8)}`;
      await insertSourceRow(ledger().sql, tenant.tenantId, sourceId);
      await ledger().sql.query(
        `UPDATE orch.sources SET rate_limit_burst = $3, rate_limit_refill_per_second = $4, max_concurrent = $5
         WHERE tenant_id = $1 AND source_id = $2`,
        [
          tenant.tenantId,
          sourceId,
          limits.burst ?? null,
          limits.refillPerSecond ?? null,
          limits.maxConcurrent ?? null,
        ],
      );
      return sourceId;
    }

    async function quota(
      tenant: TenantJobStore,
      q: { jobType?: string; maxActive?: number; maxPerHour?: number; burst?: number; paused?: boolean },
    ): Promise<string> {
      const quotaId = randomUUID();
      const paused = q.paused === true;
      await ledger().sql.query(
        `INSERT INTO orch.quotas (tenant_id, quota_id, job_type, max_active, max_per_hour, burst, paused,
           pause_reason, paused_by, paused_at, reason, request_digest, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $7 THEN now() END, 'suite', 'suite', 'suite', 'suite')`,
        [
          tenant.tenantId,
          quotaId,
          q.jobType ?? null,
          q.maxActive ?? null,
          q.maxPerHour ?? null,
          q.burst ?? null,
          paused,
          paused ? 'maintenance window' : null,
          paused ? 'bob' : null,
        ],
      );
      return quotaId;
    }

    async function throttle(
      tenant: TenantJobStore,
      t: {
        sourceId?: string;
        jobType?: string;
        pause?: boolean;
        maxConcurrent?: number;
        maxPerSecond?: number;
        ms: number;
      },
    ): Promise<string> {
      const throttleId = randomUUID();
      await ledger().sql.query(
        `INSERT INTO orch.throttles (tenant_id, throttle_id, source_id, job_type, pause, max_concurrent,
           max_per_second, reason, ticket, expires_at, request_digest, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'vendor outage', 'OPS-1', now() + $8::int * interval '1 millisecond',
           'suite', 'alice')`,
        [
          tenant.tenantId,
          throttleId,
          t.sourceId ?? null,
          t.jobType ?? null,
          t.pause === true,
          t.maxConcurrent ?? null,
          t.maxPerSecond ?? null,
          t.ms,
        ],
      );
      return throttleId;
    }

    async function fill(
      tenant: TenantJobStore,
      count: number,
      submission: { jobType?: string; sourceId?: string },
    ) {
      const jobs = [];
      for (let i = 0; i < count; i++) jobs.push(await createOne(tenant, submission));
      return jobs;
    }

    function lease(tenant: TenantJobStore, jobTypes: readonly string[] = ['test.job'], limit = 100) {
      return tenant.leaseJobs({ jobTypes, limit, leaseDurationMs: 30_000, workerId: 'limits-suite' });
    }

    async function whyCodes(tenant: TenantJobStore, jobId: string) {
      const read = await tenant.readJobHoldFacts(jobId, { maxQueueAhead: 10 });
      if (read === null) throw new Error(`job ${jobId} not found`);
      return explainJob(read.job, read.facts);
    }

    test('a source concurrency cap holds the rest of its jobs until one ends', async () => {
      const tenant = freshTenant(ledger().store);
      const capped = await source(tenant, { maxConcurrent: 2 });
      const free = await source(tenant);
      const jobs = await fill(tenant, 5, { sourceId: capped });
      await fill(tenant, 3, { sourceId: free });

      const first = await lease(tenant);
      expect(first.filter((l) => l.job.sourceId === capped)).toHaveLength(2);
      expect(first.filter((l) => l.job.sourceId === free)).toHaveLength(3);
      expect(await lease(tenant)).toEqual([]);

      const waiting = jobs.find((j) => !first.some((l) => l.job.jobId === j.jobId));
      const answer = await whyCodes(tenant, waiting!.jobId);
      expect(answer.runnable).toBe(false);
      expect(answer.conditions).toEqual([
        expect.objectContaining({
          code: 'SOURCE_CONCURRENCY_LIMIT',
          details: expect.objectContaining({ sourceId: capped, inFlight: 2, maxConcurrent: 2 }),
        }),
      ]);

      const done = first.find((l) => l.job.sourceId === capped)!;
      await tenant.completeJob({ ...done.lease, outcome: 'succeeded', retryDelaysMs: [] });
      expect((await lease(tenant)).map((l) => l.job.sourceId)).toEqual([capped]);
    });

    test('a source rate limit grants its burst, then one job per refilled token', async () => {
      const tenant = freshTenant(ledger().store);
      const limited = await source(tenant, { burst: 3, refillPerSecond: 5 });
      const jobs = await fill(tenant, 10, { sourceId: limited });

      expect(await lease(tenant)).toHaveLength(3);
      expect(await lease(tenant)).toHaveLength(0);
      const answer = await whyCodes(tenant, jobs[9]!.jobId);
      expect(answer.conditions.map((c) => c.code)).toEqual(['SOURCE_RATE_LIMIT']);
      const nextTokenInMs = answer.conditions[0]?.details['nextTokenInMs'] as number;
      expect(nextTokenInMs).toBeGreaterThan(0);
      expect(nextTokenInMs).toBeLessThanOrEqual(200);

      await sleep(450);
      const more = await lease(tenant);
      // 2 tokens refilled in 400+ ms at 5/s, and at most 3 (the time between the calls bounds the refill).
      expect(more.length).toBeGreaterThanOrEqual(2);
      expect(more.length).toBeLessThanOrEqual(3);
    });

    test('a quota on a job type caps active jobs of every source, and leaves other types alone', async () => {
      const tenant = freshTenant(ledger().store);
      await quota(tenant, { jobType: 'scan', maxActive: 3 });
      const a = await source(tenant);
      await fill(tenant, 3, { jobType: 'scan', sourceId: a });
      await fill(tenant, 3, { jobType: 'scan' });
      await fill(tenant, 4, { jobType: 'export' });

      const leased = await lease(tenant, ['scan', 'export']);
      expect(leased.filter((l) => l.job.jobType === 'scan')).toHaveLength(3);
      expect(leased.filter((l) => l.job.jobType === 'export')).toHaveLength(4);
      expect(await lease(tenant, ['scan'])).toEqual([]);
    });

    test('a paused tenant-wide quota leases nothing and says who paused it; an hourly rate grants its burst', async () => {
      const tenant = freshTenant(ledger().store);
      const quotaId = await quota(tenant, { maxActive: 10, paused: true });
      const jobs = await fill(tenant, 4, {});
      const job = jobs[3];
      expect(await lease(tenant)).toEqual([]);
      const answer = await whyCodes(tenant, job!.jobId);
      expect(answer.conditions).toEqual([
        expect.objectContaining({
          code: 'QUOTA_PAUSED',
          details: expect.objectContaining({ quotaId, pausedBy: 'bob', reason: 'maintenance window' }),
        }),
      ]);

      await ledger().sql.query(
        `UPDATE orch.quotas SET paused = false, pause_reason = NULL, paused_by = NULL, paused_at = NULL,
           max_per_hour = 3600, burst = 2 WHERE tenant_id = $1`,
        [tenant.tenantId],
      );
      expect(await lease(tenant)).toHaveLength(2);
      expect(await lease(tenant)).toHaveLength(0);
      const rate = await whyCodes(tenant, job!.jobId);
      expect(rate.conditions).toEqual([
        expect.objectContaining({
          code: 'QUOTA_RATE_LIMIT',
          details: expect.objectContaining({ quotaId, capacity: 2, refillPerSecond: 1 }),
        }),
      ]);
    });

    test('a throttle pauses a source until it expires, then its jobs lease again', async () => {
      const tenant = freshTenant(ledger().store);
      const s = await source(tenant);
      const [job] = await fill(tenant, 2, { sourceId: s });
      const throttleId = await throttle(tenant, { sourceId: s, pause: true, ms: 700 });
      expect(await lease(tenant)).toEqual([]);
      const answer = await whyCodes(tenant, job!.jobId);
      expect(answer.conditions).toEqual([
        expect.objectContaining({
          code: 'THROTTLED',
          until: expect.any(String),
          details: expect.objectContaining({
            throttleId,
            effect: 'pause',
            reason: 'vendor outage',
            ticket: 'OPS-1',
          }),
        }),
      ]);
      await sleep(800);
      expect(await lease(tenant)).toHaveLength(2);
    });

    test('where several limits apply, the lowest wins: a throttle lowers a source concurrency cap', async () => {
      const tenant = freshTenant(ledger().store);
      const s = await source(tenant, { maxConcurrent: 5 });
      await fill(tenant, 8, { sourceId: s });
      await throttle(tenant, { sourceId: s, maxConcurrent: 1, ms: 60_000 });
      expect(await lease(tenant)).toHaveLength(1);
      expect(await lease(tenant)).toHaveLength(0);
    });

    test('sources of a tenant with limits take turns within a priority; priority still comes first', async () => {
      const tenant = freshTenant(ledger().store);
      await quota(tenant, { maxActive: 1000 });
      const flood = await source(tenant);
      const small = await source(tenant);
      await fill(tenant, 30, { sourceId: flood });
      const smallJobs = await fill(tenant, 3, { sourceId: small });
      const [urgent] = await fill(tenant, 1, {});
      await ledger().sql.query(`UPDATE orch.jobs SET priority = 9 WHERE tenant_id = $1 AND job_id = $2`, [
        tenant.tenantId,
        urgent!.jobId,
      ]);

      const leased = await lease(tenant, ['test.job'], 7);
      expect(leased[0]?.job.jobId).toBe(urgent!.jobId);
      expect(leased.filter((l) => l.job.sourceId === small).map((l) => l.job.jobId)).toEqual(
        smallJobs.map((j) => j.jobId),
      );
    });

    test('concurrent lease calls never grant more than a concurrency cap together', async () => {
      const tenant = freshTenant(ledger().store);
      const s = await source(tenant, { maxConcurrent: 5 });
      await quota(tenant, { jobType: 'test.job', maxActive: 50 });
      await fill(tenant, 40, { sourceId: s });
      const calls = await Promise.all(Array.from({ length: 8 }, () => lease(tenant, ['test.job'], 3)));
      expect(calls.flat()).toHaveLength(5);
      const inFlight = await ledger().sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM orch.jobs WHERE tenant_id = $1 AND status = 'leased'`,
        [tenant.tenantId],
      );
      expect(inFlight[0]?.n).toBe(5);
    });

    test('a tenant without limits keeps its single-statement grant; a limit on another tenant changes nothing', async () => {
      const limited = freshTenant(ledger().store);
      await quota(limited, { maxActive: 1 });
      const tenant = freshTenant(ledger().store);
      await fill(tenant, 3, {});
      expect(await lease(tenant)).toHaveLength(3);
    });
  });
}
