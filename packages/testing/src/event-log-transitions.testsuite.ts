import type { CompleteJobParams, LeasedJob, TenantJobStore } from '@stella-orch/core';
import { expect, test } from 'vitest';
import { freshEventTenant, readSettled, type EventLogConformanceContext } from './event-log-fixtures.js';
import { cloneIdentity, newJob, NO_BACKOFF, sleep, TEST_ACTOR } from './job-store-fixtures.js';

/** The event type a history row's transition writes. */
function transitionEventOf(row: { readonly from_status: string | null; readonly to_status: string }): string {
  if (row.from_status === null) return 'job.created';
  if (row.to_status === 'pending') return 'job.retry_scheduled';
  return `job.${row.to_status}`;
}

/** Events about a job that are not a transition of its state: the dead-letter entry and the cancel flag. */
const NOT_TRANSITIONS = new Set(['job.dead_lettered', 'job.cancel_requested']);

const FAIL = { type: 'Flaky', message: 'try again', retryable: true } as const;
const FATAL = { type: 'Fatal', message: 'never', retryable: false } as const;

async function leaseAll(jobs: TenantJobStore, limit: number, leaseDurationMs = 30_000): Promise<LeasedJob[]> {
  const leased: LeasedJob[] = [];
  for (;;) {
    const batch = await jobs.leaseJobs({
      jobTypes: ['bulk'],
      limit: Math.min(200, limit - leased.length),
      leaseDurationMs,
      workerId: 'bulk-worker',
    });
    leased.push(...batch);
    if (batch.length === 0 || leased.length >= limit) return leased;
  }
}

async function completeAll(jobs: TenantJobStore, completions: readonly CompleteJobParams[]): Promise<void> {
  for (let i = 0; i < completions.length; i += 200) {
    await jobs.completeJobs({ completions: completions.slice(i, i + 200) });
  }
}

/** Exactly one event per transition, counted against the history over a run of 1,000 jobs. */
export function eventLogTransitionTests(ctx: EventLogConformanceContext): void {
  test('1,000 jobs with retries, cancels, dead letters and reaped leases: one event per history row', async () => {
    const tenantId = freshEventTenant();
    const jobs = ctx.store.forTenant(tenantId);
    const created = await jobs.createJobs({
      jobs: Array.from({ length: 1_000 }, () => newJob({ jobType: 'bulk' })),
      actor: TEST_ACTOR,
    });
    // 100 canceled while pending; 50 leases left to lapse and be reaped.
    for (const { job } of created.slice(0, 100)) {
      await jobs.cancelJob({ jobId: job.jobId, reason: 'not needed', actor: TEST_ACTOR });
    }
    const lapsing = await leaseAll(jobs, 50, 1);
    const leased = await leaseAll(jobs, 1_000);
    expect(leased).toHaveLength(850);
    await jobs.extendLeases({
      heartbeats: leased.slice(0, 425).map((l) => ({ ...l.lease, leaseDurationMs: 30_000 })),
    });
    for (const l of leased.slice(0, 50)) {
      await jobs.cancelJob({ jobId: l.job.jobId, reason: 'stop', actor: TEST_ACTOR });
    }
    const outcome = (l: LeasedJob, i: number): CompleteJobParams => {
      const proof = {
        leaseId: l.lease.leaseId,
        fencingToken: l.lease.fencingToken,
        retryDelaysMs: NO_BACKOFF,
      };
      if (i < 50) return { ...proof, outcome: 'failed', error: FAIL }; // flagged: ends canceled
      if (i < 450) return { ...proof, outcome: 'succeeded', result: { i } };
      if (i < 750) return { ...proof, outcome: 'failed', error: FAIL };
      return { ...proof, outcome: 'failed', error: FATAL };
    };
    await completeAll(jobs, leased.map(outcome));
    await sleep(20);
    const reaped = await ctx.store.reapExpiredLeases({ limit: 1_000, retryDelaysMs: NO_BACKOFF });
    expect(reaped.filter((r) => r.tenantId === tenantId)).toHaveLength(lapsing.length);
    // The 350 retried jobs fail twice more and dead-letter.
    for (let round = 0; round < 2; round++) {
      const again = await leaseAll(jobs, 1_000);
      expect(again).toHaveLength(350);
      await completeAll(
        jobs,
        again.map((l) => ({ ...l.lease, outcome: 'failed', error: FAIL, retryDelaysMs: NO_BACKOFF })),
      );
    }
    // Operators retry 20 dead letters and replay 10 successes.
    const dead = (await jobs.listDeadLetters({ pageSize: 20 })).items;
    for (const entry of dead) {
      await jobs.retryJob({ jobId: entry.jobId, newJob: cloneIdentity(), actor: TEST_ACTOR });
    }
    for (const l of leased.slice(50, 60)) {
      await jobs.replayJob({ jobId: l.job.jobId, newJob: cloneIdentity(), actor: TEST_ACTOR });
    }

    const log = await readSettled(ctx, tenantId);
    const ids = new Set(log.map((item) => item.event.eventId));
    expect(ids.size).toBe(log.length);
    const history = await ctx.sql.query<{ job_id: string; from_status: string | null; to_status: string }>(
      'SELECT job_id::text AS job_id, from_status, to_status FROM orch.job_history WHERE tenant_id = $1 ORDER BY seq',
      [tenantId],
    );
    expect(history.length).toBeGreaterThan(4_500);
    const expected = new Map<string, string[]>();
    for (const row of history)
      expected.set(row.job_id, [...(expected.get(row.job_id) ?? []), transitionEventOf(row)]);
    const actual = new Map<string, string[]>();
    const counts = new Map<string, number>();
    for (const { event } of log) {
      counts.set(event.eventType, (counts.get(event.eventType) ?? 0) + 1);
      if (!event.eventType.startsWith('job.') || NOT_TRANSITIONS.has(event.eventType)) continue;
      actual.set(event.jobId!, [...(actual.get(event.jobId!) ?? []), event.eventType]);
    }
    expect(actual.size).toBe(1_030);
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
    const deadLetters = await ctx.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM orch.dead_letters WHERE tenant_id = $1',
      [tenantId],
    );
    expect(counts.get('job.dead_lettered')).toBe(deadLetters[0]!.n);
    expect(counts.get('job.dead_lettered')).toBe(450);
    expect(counts.get('job.cancel_requested')).toBe(50);
    const audit = await ctx.audit.forTenant(tenantId).readAuditChain({ fromSequence: 1, limit: 1_000 });
    expect(audit).toHaveLength(180);
    expect(counts.get('operator.job.cancel')).toBe(150);
    expect(counts.get('operator.job.retry')).toBe(20);
    expect(counts.get('operator.job.replay')).toBe(10);
  });
}
