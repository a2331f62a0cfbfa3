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
      const rate = 2;
      const limited = await source(tenant, { burst: 3, refillPerSecond: rate });
      const jobs = await fill(tenant, 10, { sourceId: limited });
      // The most tokens that can have refilled since `from` (the client's clock bounds the ledger's).
      const refilledSince = (from: number) => Math.floor(((performance.now() - from) / 1000) * rate);

      const first = performance.now();
      expect(await lease(tenant)).toHaveLength(3);
      const again = await lease(tenant);
      expect(again.length).toBeLessThanOrEqual(refilledSince(first));
      const answer = await whyCodes(tenant, jobs[9]!.jobId);
      if (answer.runnable) {
        // Only when the machine stalled for half a second: a token came back, and why says so.
        expect(answer.conditions.map((c) => c.code)).toEqual(['READY']);
      } else {
        expect(answer.conditions.map((c) => c.code)).toEqual(['SOURCE_RATE_LIMIT']);
        const nextTokenInMs = answer.conditions[0]?.details['nextTokenInMs'] as number;
        expect(nextTokenInMs).toBeGreaterThan(0);
        expect(nextTokenInMs).toBeLessThanOrEqual(1000 / rate);
      }

      await sleep(1_100);
      const more = await lease(tenant);
      // At least the 2 tokens of 1.1 s at 2/s, and never more than refilled since the burst was taken.
      expect(more.length).toBeGreaterThanOrEqual(2);
      expect(again.length + more.length).toBeLessThanOrEqual(refilledSince(first));
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

    test('backfill jobs hold at most their lane share of a cap and leave a rate reserve to live jobs', async () => {
      const tenant = freshTenant(ledger().store);
      const capped = await source(tenant, { maxConcurrent: 8 });
      const backfills = await fill(tenant, 6, { sourceId: capped });
      await ledger().sql.query(
        `UPDATE orch.jobs SET lane = 'backfill' WHERE tenant_id = $1 AND job_id = ANY($2::uuid[])`,
        [tenant.tenantId, backfills.map((j) => j.jobId)],
      );
      await fill(tenant, 10, { sourceId: capped });
      const leased = await lease(tenant);
      const backfillIds = new Set(backfills.map((j) => j.jobId));
      // A quarter of 8: 2 backfill jobs, and the other 6 slots to live jobs.
      expect(leased.filter((l) => backfillIds.has(l.job.jobId))).toHaveLength(2);
      expect(leased).toHaveLength(8);
      const held = backfills.find((j) => !leased.some((l) => l.job.jobId === j.jobId));
      const answer = await whyCodes(tenant, held!.jobId);
      // The cap is full, so the cap itself holds it; the lane's part is named while live jobs could start.
      expect(answer.conditions.map((c) => c.code)).toEqual(['SOURCE_CONCURRENCY_LIMIT']);

      const rated = await source(tenant, { burst: 8, refillPerSecond: 0.01 });
      const moreBackfills = await fill(tenant, 5, { sourceId: rated });
      await ledger().sql.query(
        `UPDATE orch.jobs SET lane = 'backfill' WHERE tenant_id = $1 AND job_id = ANY($2::uuid[])`,
        [tenant.tenantId, moreBackfills.map((j) => j.jobId)],
      );
      // Only backfill jobs ready: they draw the bucket down to its reserve of 6 and stop there.
      expect(await lease(tenant)).toHaveLength(2);
      const reserved = await whyCodes(tenant, moreBackfills[4]!.jobId);
      expect(reserved.conditions).toEqual([
        expect.objectContaining({
          code: 'BACKFILL_LANE_LIMIT',
          details: expect.objectContaining({ reservedTokens: 6 }),
        }),
      ]);
      await fill(tenant, 10, { sourceId: rated });
      expect(await lease(tenant)).toHaveLength(6);
    });

    test('a circuit breaker opens on failures, holds its source, probes after the cool-down, closes and reopens', async () => {
      const tenant = freshTenant(ledger().store);
      const s = await source(tenant);
      const breakerId = randomUUID();
      await ledger().sql.query(
        `INSERT INTO orch.circuit_breakers (tenant_id, breaker_id, source_id, failure_ratio, min_volume,
           window_seconds, cool_down_seconds, probe_leases, request_digest, created_by, updated_by)
         VALUES ($1, $2, $3, 0.5, 4, 60, 1, 1, 'suite', 'suite', 'suite')`,
        [tenant.tenantId, breakerId, s],
      );
      const jobs = await fill(tenant, 10, { sourceId: s });
      const evaluate = async () =>
        (await ledger().store.evaluateCircuitBreakers({ limit: 100 })).filter(
          (c) => c.breakerId === breakerId,
        );
      const end = async (leases: Awaited<ReturnType<typeof lease>>, outcome: 'succeeded' | 'failed') => {
        for (const { lease: l } of leases) {
          await tenant.completeJob({
            ...l,
            outcome,
            ...(outcome === 'failed'
              ? { error: { type: 'Upstream503', message: 'down', retryable: false } }
              : {}),
            retryDelaysMs: [],
          });
        }
      };

      await end(await lease(tenant, ['test.job'], 1), 'succeeded');
      expect(await evaluate()).toEqual([]);
      await end(await lease(tenant, ['test.job'], 3), 'failed');
      // 3 of 4 attempts failed, the volume is reached: open.
      expect(await evaluate()).toEqual([expect.objectContaining({ from: 'closed', to: 'open' })]);
      expect(await lease(tenant)).toEqual([]);
      const pending = jobs[9]!;
      const open = await whyCodes(tenant, pending.jobId);
      expect(open.conditions).toEqual([
        expect.objectContaining({
          code: 'CIRCUIT_OPEN',
          until: expect.any(String),
          details: expect.objectContaining({ breakerId }),
        }),
      ]);

      await sleep(1_100);
      expect(await evaluate()).toEqual([expect.objectContaining({ from: 'open', to: 'half_open' })]);
      const probe = await lease(tenant);
      expect(probe).toHaveLength(1);
      expect(await lease(tenant)).toEqual([]);
      expect((await whyCodes(tenant, pending.jobId)).conditions.map((c) => c.code)).toEqual([
        'CIRCUIT_HALF_OPEN',
      ]);
      await end(probe, 'succeeded');
      expect(await evaluate()).toEqual([expect.objectContaining({ from: 'half_open', to: 'closed' })]);
      const afterClose = await lease(tenant, ['test.job'], 2);
      expect(afterClose).toHaveLength(2);
      await end(afterClose, 'succeeded');

      // Open again by a new burst of failures (5 of 9 in the window), then by a failed probe.
      await end(await lease(tenant, ['test.job'], 2), 'failed');
      expect(await evaluate()).toEqual([expect.objectContaining({ to: 'open' })]);
      await sleep(1_100);
      await evaluate();
      await end(await lease(tenant), 'failed');
      expect(await evaluate()).toEqual([
        expect.objectContaining({ from: 'half_open', to: 'open', reason: 'a probe failed' }),
      ]);

      const events = await ledger().sql.query<{ event_type: string }>(
        `SELECT event_type FROM orch.events WHERE tenant_id = $1 AND event_type LIKE 'circuit.%' ORDER BY event_id`,
        [tenant.tenantId],
      );
      expect(events.map((e) => e.event_type)).toEqual([
        'circuit.opened',
        'circuit.half_opened',
        'circuit.closed',
        'circuit.opened',
        'circuit.half_opened',
        'circuit.opened',
      ]);
    });

    test('priority ages: a job eligible for ten minutes goes before a new job up to nine levels higher', async () => {
      for (const limited of [false, true]) {
        const tenant = freshTenant(ledger().store);
        if (limited) await quota(tenant, { maxActive: 1000 });
        const [old] = await fill(tenant, 1, {});
        await ledger().sql.query(
          `UPDATE orch.jobs SET next_eligible_at = now() - interval '10 minutes' WHERE tenant_id = $1 AND job_id = $2`,
          [tenant.tenantId, old!.jobId],
        );
        const [higher, urgent] = [
          await createOne(tenant, { priority: 9 }),
          await createOne(tenant, { priority: 11 }),
        ];
        const order = [];
        for (let i = 0; i < 3; i++)
          order.push(...(await lease(tenant, ['test.job'], 1)).map((l) => l.job.jobId));
        // Ranks: urgent now − 11 min, old now − 10 min, higher now − 9 min.
        expect(order, limited ? 'with limits' : 'without limits').toEqual([
          urgent.jobId,
          old!.jobId,
          higher.jobId,
        ]);
      }
    });

    test('tells its listeners which limits held back ready work at a grant, once per limit', async () => {
      const tenant = freshTenant(ledger().store);
      const capped = await source(tenant, { maxConcurrent: 1 });
      const paused = await source(tenant);
      await fill(tenant, 3, { sourceId: capped });
      await fill(tenant, 2, { sourceId: paused });
      await throttle(tenant, { sourceId: paused, pause: true, ms: 60_000 });
      const heard: { tenantId: string; holds: readonly unknown[] }[] = [];
      const stop = ledger().store.onLimitHolds((tenantId, holds) => heard.push({ tenantId, holds }));
      try {
        expect(await lease(tenant)).toHaveLength(1);
        // The first grant filled the source's cap; the second finds it full: both limits refuse work.
        expect(heard.map((h) => h.holds)).toEqual([[{ limit: 'throttle', effect: 'pause' }]]);
        expect(await lease(tenant)).toEqual([]);
        expect(heard[1]).toEqual({
          tenantId: tenant.tenantId,
          holds: expect.arrayContaining([
            { limit: 'throttle', effect: 'pause' },
            { limit: 'source', effect: 'concurrency' },
          ]),
        });
        expect(heard[1]?.holds).toHaveLength(2);
      } finally {
        stop();
      }
    });

    test('sources of a tenant without limits take turns as well; a single source keeps FIFO', async () => {
      const tenant = freshTenant(ledger().store);
      const flood = await source(tenant);
      const small = await source(tenant);
      const floodJobs = await fill(tenant, 30, { sourceId: flood });
      const smallJobs = await fill(tenant, 3, { sourceId: small });
      const leased = await lease(tenant, ['test.job'], 6);
      expect(leased.map((l) => l.job.jobId).sort()).toEqual(
        [...floodJobs.slice(0, 3), ...smallJobs].map((j) => j.jobId).sort(),
      );
      // Two sources and nothing ready: an empty answer, not an error.
      const idle = freshTenant(ledger().store);
      await source(idle);
      await source(idle);
      expect(await lease(idle)).toEqual([]);
      const single = freshTenant(ledger().store);
      const only = await source(single);
      const jobs = await fill(single, 5, { sourceId: only });
      expect((await lease(single, ['test.job'], 3)).map((l) => l.job.jobId)).toEqual(
        jobs.slice(0, 3).map((j) => j.jobId),
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
