import { randomUUID } from 'node:crypto';
import {
  DEFAULT_RETRY_POLICY,
  retryDelaySchedule,
  type CompleteJobParams,
  type CompletionResult,
  type LeaseItemResult,
  type TenantJobStore,
} from '@stella-orch/core';
import { expect, test } from 'vitest';
import {
  createOne,
  freshTenant,
  leaseOne,
  msBetween,
  NO_BACKOFF,
  sleepUntilPast,
  TEST_ACTOR,
  type ConformanceContext,
} from './job-store-fixtures.js';

const RETRYABLE = { type: 'HttpTimeout', message: 'upstream timed out', retryable: true } as const;
const FATAL = { type: 'SchemaError', message: 'payload does not validate', retryable: false } as const;
/** A result whose JSON holds every character that needs quoting in an array literal. */
const AWKWARD_RESULT = { text: 'a "quoted", {braced} \\ back\\slash NULL é 😀', list: [1, null, 'x'] };

/** `leaseId` and either the disposition or the error code of each answer, for compact assertions. */
function summary<T>(results: readonly LeaseItemResult<T>[]) {
  return results.map((r) =>
    r.ok ? ['disposition' in r ? r.disposition : 'ok', r.leaseId] : [r.error.code, r.leaseId],
  );
}

/** The number of history rows of each job. */
async function historyLengths(tenant: TenantJobStore, jobIds: readonly string[]) {
  return Promise.all(jobIds.map(async (id) => (await tenant.listJobHistory(id))!.length));
}

/** Batched lease calls: many completions or heartbeats in one call, each answered on its own. */
export function batchTests(ctx: ConformanceContext): void {
  test('a mixed batch ends each attempt by its own rules and answers every item in input order', async () => {
    const tenant = freshTenant(ctx.store);
    for (const jobType of ['ok', 'retry', 'fatal', 'gave-up', 'flagged', 'untouched'])
      await createOne(tenant, { jobType, maxAttempts: 3 });
    await createOne(tenant, { jobType: 'relet', maxAttempts: 3 });
    const ok = await leaseOne(tenant, { jobType: 'ok' });
    const retry = await leaseOne(tenant, { jobType: 'retry' });
    const fatal = await leaseOne(tenant, { jobType: 'fatal' });
    const gaveUp = await leaseOne(tenant, { jobType: 'gave-up' });
    const flagged = await leaseOne(tenant, { jobType: 'flagged' });
    const untouched = await leaseOne(tenant, { jobType: 'untouched' });
    await tenant.cancelJob({ jobId: flagged.job.jobId, reason: 'stop', actor: TEST_ACTOR });
    // A job leased again after a failed attempt: its first lease's token is stale.
    const firstLet = await leaseOne(tenant, { jobType: 'relet' });
    await tenant.completeJob({ ...firstLet.lease, outcome: 'failed', error: RETRYABLE, retryDelaysMs: [0] });
    const relet = await leaseOne(tenant, { jobType: 'relet' });
    const before = {
      untouched: await tenant.getJob(untouched.job.jobId),
      relet: await tenant.getJob(relet.job.jobId),
    };
    const beforeHistory = await historyLengths(tenant, [untouched.job.jobId, relet.job.jobId]);

    const withRetryAfter = { ...RETRYABLE, retryAfterMs: 7_000 };
    const item = (
      proof: { leaseId: string; fencingToken: number },
      rest: Omit<CompleteJobParams, 'leaseId' | 'fencingToken' | 'retryDelaysMs'>,
      retryDelaysMs: readonly number[] = NO_BACKOFF,
    ): CompleteJobParams => ({ ...proof, ...rest, retryDelaysMs });
    const unknownLease = randomUUID();
    const completions = [
      item(ok.lease, { outcome: 'succeeded', result: AWKWARD_RESULT }),
      item({ ...retry.lease, fencingToken: retry.lease.fencingToken + 1 }, { outcome: 'succeeded' }),
      item(
        retry.lease,
        { outcome: 'failed', error: withRetryAfter },
        retryDelaySchedule(DEFAULT_RETRY_POLICY, 100, () => 0.5, withRetryAfter.retryAfterMs),
      ),
      item(fatal.lease, { outcome: 'failed', error: FATAL }),
      item({ leaseId: unknownLease, fencingToken: 1 }, { outcome: 'succeeded' }),
      item(gaveUp.lease, { outcome: 'canceled' }),
      item(ok.lease, { outcome: 'failed', error: FATAL }),
      item(flagged.lease, { outcome: 'failed', error: RETRYABLE }),
      item(
        { leaseId: relet.lease.leaseId, fencingToken: firstLet.lease.fencingToken },
        { outcome: 'succeeded' },
      ),
      item({ leaseId: 'not-a-lease', fencingToken: 1 }, { outcome: 'succeeded' }),
      item({ ...untouched.lease, fencingToken: 1.5 }, { outcome: 'succeeded' }),
    ];
    const results = await tenant.completeJobs({ completions });

    expect(summary(results)).toEqual([
      ['succeeded', ok.lease.leaseId],
      ['LEASE_LOST', retry.lease.leaseId],
      ['retry_scheduled', retry.lease.leaseId],
      ['dead_lettered', fatal.lease.leaseId],
      ['LEASE_LOST', unknownLease],
      ['canceled', gaveUp.lease.leaseId],
      ['LEASE_LOST', ok.lease.leaseId],
      ['canceled', flagged.lease.leaseId],
      ['LEASE_LOST', relet.lease.leaseId],
      ['LEASE_LOST', 'not-a-lease'],
      ['LEASE_LOST', untouched.lease.leaseId],
    ]);
    const jobOf = (r: CompletionResult | undefined) => (r?.ok === true ? r.job : null);
    expect(jobOf(results[0])).toMatchObject({
      jobId: ok.job.jobId,
      status: 'succeeded',
      result: AWKWARD_RESULT,
    });
    const retried = jobOf(results[2])!;
    expect(retried).toMatchObject({ jobId: retry.job.jobId, status: 'pending', lastError: withRetryAfter });
    expect(msBetween(retried.updatedAt, retried.nextEligibleAt)).toBe(7_000);
    expect(jobOf(results[3])).toMatchObject({ jobId: fatal.job.jobId, status: 'failed', lastError: FATAL });
    expect(jobOf(results[5])).toMatchObject({ jobId: gaveUp.job.jobId, status: 'canceled' });
    expect(jobOf(results[7])).toMatchObject({ jobId: flagged.job.jobId, status: 'canceled' });
    for (const r of results) {
      if (r.ok) expect(await tenant.getJob(r.job.jobId)).toEqual(r.job);
    }

    // The repeat of the accepted lease changed nothing: the first completion stands.
    expect(await tenant.getJob(ok.job.jobId)).toMatchObject({ status: 'succeeded', result: AWKWARD_RESULT });
    expect((await tenant.listDeadLetters({ pageSize: 10 })).items).toEqual([
      expect.objectContaining({ jobId: fatal.job.jobId, errorType: 'SchemaError', attempts: 1 }),
    ]);
    // One history row per transition: submitted, leased, ended.
    const ended = [ok, retry, fatal, gaveUp, flagged].map((l) => l.job.jobId);
    expect(await historyLengths(tenant, ended)).toEqual([3, 3, 3, 3, 3]);
    expect((await tenant.listJobHistory(retry.job.jobId))!.at(-1)).toMatchObject({
      fromStatus: 'leased',
      toStatus: 'pending',
      reason: 'failed',
      details: { error: withRetryAfter, retryDelayMs: 7_000 },
    });
    expect((await tenant.listJobHistory(flagged.job.jobId))!.at(-1)).toMatchObject({
      toStatus: 'canceled',
      reason: 'canceled',
    });
    // Refused items changed nothing.
    expect(await tenant.getJob(untouched.job.jobId)).toEqual(before.untouched);
    expect(await tenant.getJob(relet.job.jobId)).toEqual(before.relet);
    expect(await historyLengths(tenant, [untouched.job.jobId, relet.job.jobId])).toEqual(beforeHistory);
  });

  test('each completion of a batch takes the delay for its attempt from its own schedule', async () => {
    const tenant = freshTenant(ctx.store);
    for (let i = 0; i < 5; i++) await createOne(tenant, { maxAttempts: 5 });
    const first = [await leaseOne(tenant), await leaseOne(tenant), await leaseOne(tenant)];
    // Two jobs on their second attempt.
    const again = [await leaseOne(tenant), await leaseOne(tenant)];
    for (const { lease } of again)
      await tenant.completeJob({ ...lease, outcome: 'failed', error: RETRYABLE, retryDelaysMs: [0] });
    const second = [await leaseOne(tenant), await leaseOne(tenant)];
    expect(second.map((l) => l.job.attempt)).toEqual([2, 2]);

    const schedules = [[1_234, 99], [5_678], [], [10, 20, 30], [300]];
    const results = await tenant.completeJobs({
      completions: [...first, ...second].map(({ lease }, i) => ({
        ...lease,
        outcome: 'failed' as const,
        error: RETRYABLE,
        retryDelaysMs: schedules[i]!,
      })),
    });
    // Past its end, a schedule's last delay holds; an empty schedule means no delay.
    expect(
      results.map((r) => (r.ok ? msBetween(r.job.updatedAt, r.job.nextEligibleAt) : r.error.code)),
    ).toEqual([1_234, 5_678, 0, 20, 300]);
  });

  test('a lapsed lease in a batch is LEASE_LOST and left to the reaper', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant, { jobType: 'short' });
    await createOne(tenant);
    const short = await leaseOne(tenant, { jobType: 'short', leaseDurationMs: 1_000 });
    const long = await leaseOne(tenant);
    await sleepUntilPast(short.lease.leaseUntil);
    const results = await tenant.completeJobs({
      completions: [short, long].map(({ lease }) => ({
        ...lease,
        outcome: 'succeeded' as const,
        retryDelaysMs: NO_BACKOFF,
      })),
    });
    expect(summary(results)).toEqual([
      ['LEASE_LOST', short.lease.leaseId],
      ['succeeded', long.lease.leaseId],
    ]);
    expect(await tenant.getJob(short.job.jobId)).toMatchObject({ status: 'leased', lease: short.lease });
  });

  test('concurrent batches over the same leases accept every result exactly once', async () => {
    const tenant = freshTenant(ctx.store);
    const jobs = 30;
    for (let i = 0; i < jobs; i++) await createOne(tenant);
    const leased = await tenant.leaseJobs({
      jobTypes: ['test.job'],
      limit: jobs,
      leaseDurationMs: 30_000,
      workerId: 'w',
    });
    expect(leased).toHaveLength(jobs);
    // The same leases in different orders (forwards, backwards, interleaved, in halves), so that a store
    // locking rows in input order would deadlock.
    const orders = [
      leased,
      [...leased].reverse(),
      leased.filter((_, i) => i % 2 === 1).concat(leased.filter((_, i) => i % 2 === 0)),
      leased.slice(jobs / 2).concat(leased.slice(0, jobs / 2)),
      [...leased].reverse(),
      leased,
    ];
    const answers = await Promise.all(
      orders.map((order, batch) =>
        tenant.completeJobs({
          completions: order.map(({ lease }) => ({
            ...lease,
            outcome: 'succeeded' as const,
            result: { batch },
            retryDelaysMs: NO_BACKOFF,
          })),
        }),
      ),
    );

    const winners = new Map<string, number[]>();
    answers.forEach((results, batch) => {
      results.forEach((r, i) => {
        expect(r.leaseId).toBe(orders[batch]![i]!.lease.leaseId);
        if (r.ok) winners.set(r.job.jobId, [...(winners.get(r.job.jobId) ?? []), batch]);
        else expect(r.error.code).toBe('LEASE_LOST');
      });
    });
    expect(winners.size).toBe(jobs);
    for (const [jobId, batches] of winners) {
      expect(batches).toHaveLength(1);
      expect(await tenant.getJob(jobId)).toMatchObject({
        status: 'succeeded',
        result: { batch: batches[0] },
      });
    }
    expect(await historyLengths(tenant, [...winners.keys()])).toEqual(Array.from({ length: jobs }, () => 3));
  });

  test('batched heartbeats extend each current lease, start each attempt once, and answer in input order', async () => {
    const tenant = freshTenant(ctx.store);
    for (let i = 0; i < 3; i++) await createOne(tenant);
    const [a, b, c] = [await leaseOne(tenant), await leaseOne(tenant), await leaseOne(tenant)];
    const unknownLease = randomUUID();
    const results = await tenant.extendLeases({
      heartbeats: [
        { ...a.lease, leaseDurationMs: 60_000 },
        { ...b.lease, fencingToken: b.lease.fencingToken + 1, leaseDurationMs: 60_000 },
        { ...c.lease, leaseDurationMs: 90_000, progress: { done: 1 } },
        { ...a.lease, leaseDurationMs: 120_000 },
        { leaseId: unknownLease, fencingToken: 1, leaseDurationMs: 60_000 },
        { leaseId: 'not-a-lease', fencingToken: 1, leaseDurationMs: 60_000 },
      ],
    });

    expect(summary(results)).toEqual([
      ['ok', a.lease.leaseId],
      ['LEASE_LOST', b.lease.leaseId],
      ['ok', c.lease.leaseId],
      ['ok', a.lease.leaseId],
      ['LEASE_LOST', unknownLease],
      ['LEASE_LOST', 'not-a-lease'],
    ]);
    const [first, , third, repeat] = results;
    // A lease named twice is extended once, as its last heartbeat asks; both answer the same state.
    expect(first).toEqual(repeat);
    expect(first).toMatchObject({ jobId: a.job.jobId, status: 'running', cancelRequested: false });
    const jobA = await tenant.getJob(a.job.jobId);
    expect(first?.ok === true ? first.leaseUntil : null).toBe(jobA!.lease!.leaseUntil);
    expect(msBetween(jobA!.updatedAt, jobA!.lease!.leaseUntil)).toBe(120_000);
    expect(third).toMatchObject({ jobId: c.job.jobId, status: 'running' });
    expect(await tenant.getJob(c.job.jobId)).toMatchObject({ status: 'running', progress: { done: 1 } });
    expect(await tenant.getJob(b.job.jobId)).toEqual(b.job);
    expect(await historyLengths(tenant, [a.job.jobId, b.job.jobId, c.job.jobId])).toEqual([3, 2, 3]);
  });
}
