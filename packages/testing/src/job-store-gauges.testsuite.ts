import type { QueueDepth } from '@stella-orch/core';
import { expect, test } from 'vitest';
import {
  createOne,
  freshTenant,
  leaseOne,
  NO_BACKOFF,
  TEST_ACTOR,
  type ConformanceContext,
} from './job-store-fixtures.js';
import { registerTestSource } from './sources.testsuite.js';

/** The ledger read behind the queue gauges: depths by tenant, job type and state. */
export function gaugeTests(ctx: ConformanceContext): void {
  test('queueDepths counts ready, held, in-flight and dead-lettered work of every tenant', async () => {
    const tenant = freshTenant(ctx.store);
    for (let i = 0; i < 5; i++) await createOne(tenant, { jobType: 'a' });
    await createOne(tenant, { jobType: 'b', notBefore: new Date(Date.now() + 3_600_000).toISOString() });
    await createOne(tenant, { jobType: 'c' });
    await createOne(tenant, { jobType: 'd' });
    await createOne(tenant, { jobType: 'e' });
    await leaseOne(tenant, { jobType: 'a' });
    const c = await leaseOne(tenant, { jobType: 'c' });
    await tenant.completeJob({
      ...c.lease,
      outcome: 'failed',
      error: { type: 'Busy', message: 'try later', retryable: true },
      retryDelaysMs: [60_000],
    });
    const d = await leaseOne(tenant, { jobType: 'd' });
    await tenant.completeJob({
      ...d.lease,
      outcome: 'failed',
      error: { type: 'Bad', message: 'never', retryable: false },
      retryDelaysMs: NO_BACKOFF,
    });
    const e = await leaseOne(tenant, { jobType: 'e' });
    await tenant.completeJob({ ...e.lease, outcome: 'succeeded', retryDelaysMs: NO_BACKOFF });

    const depths = (await ctx.store.queueDepths()).filter((d) => d.tenantId === tenant.tenantId);
    const byKey = new Map(depths.map((d): [string, QueueDepth] => [`${d.jobType}/${d.state}`, d]));
    expect([...byKey.keys()].sort()).toEqual([
      'a/in_flight',
      'a/ready',
      'b/not_before',
      'c/backoff',
      'd/dead_letter',
    ]);
    expect(byKey.get('a/ready')).toMatchObject({ count: 4 });
    expect(byKey.get('a/ready')!.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(byKey.get('a/ready')!.oldestAgeSeconds).toBeLessThan(60);
    for (const key of ['a/in_flight', 'b/not_before', 'c/backoff', 'd/dead_letter']) {
      expect(byKey.get(key)).toMatchObject({ count: 1, oldestAgeSeconds: null });
    }
  });

  test('queueDepths counts the jobs of a paused source as paused, not ready', async () => {
    const tenant = freshTenant(ctx.store);
    const sources = ctx.sources.forTenant(tenant.tenantId);
    const sourceId = await registerTestSource(sources);
    await createOne(tenant, { jobType: 'p', sourceId });
    await createOne(tenant, { jobType: 'p', sourceId });
    await createOne(tenant, { jobType: 'p' });
    await sources.changeSourceState({
      sourceId,
      change: { action: 'pause', pause: { reason: 'upstream outage' } },
      actor: TEST_ACTOR,
    });
    const depths = (await ctx.store.queueDepths()).filter((d) => d.tenantId === tenant.tenantId);
    expect(depths.map((d) => [d.state, d.count]).sort()).toEqual([
      ['paused', 2],
      ['ready', 1],
    ]);
  });
}
