import { randomUUID } from 'node:crypto';
import { toNewJob, type LeasedJob, type TenantJobStore } from '@stella-orch/core';
import {
  createTestDatabase,
  migratedPgliteImage,
  NO_BACKOFF,
  requireServices,
  TEST_ACTOR,
} from '@stella-orch/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openLedger } from './open-ledger.js';
import { PostgresJobStore } from './postgres-job-store.js';
import type { SqlDriver } from './sql-driver.js';
import { isTransientSqlError } from './sql-errors.js';

// What the conformance suite cannot ask of every adapter: how this ledger's batch statements behave when
// PostgreSQL refuses a value, and when batches over the same rows meet.
const postgres = await requireServices(['postgres'], 'lease batch tests on PostgreSQL');

/** A driver that counts the deadlocks and serialization failures its statements run into. */
function countingTransientErrors(driver: SqlDriver): { driver: SqlDriver; readonly count: () => number } {
  let transient = 0;
  const counted: SqlDriver = {
    capabilities: driver.capabilities,
    async query<R>(text: string, params?: readonly unknown[]): Promise<R[]> {
      try {
        return await driver.query<R>(text, params);
      } catch (error) {
        if (isTransientSqlError(error)) transient++;
        throw error;
      }
    },
    exec: (script) => driver.exec(script),
    transaction: (fn) => driver.transaction(fn),
    listen: (channel, callback) => driver.listen(channel, callback),
    close: () => driver.close(),
  };
  return { driver: counted, count: () => transient };
}

async function leaseMany(tenant: TenantJobStore, count: number): Promise<LeasedJob[]> {
  const jobs = Array.from({ length: count }, () =>
    toNewJob({ jobType: 'batch' }, { jobId: randomUUID(), correlationId: 'c', maxAttempts: 3 }),
  );
  await tenant.createJobs({ jobs, actor: TEST_ACTOR });
  return tenant.leaseJobs({ jobTypes: ['batch'], limit: count, leaseDurationMs: 30_000, workerId: 'w' });
}

function refusedValueTests(open: () => Promise<{ store: PostgresJobStore; cleanup(): Promise<void> }>) {
  let ledger: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    ledger = await open();
  });
  afterAll(async () => {
    await ledger.cleanup();
  });

  test('a value the ledger refuses fails its own completion only', async () => {
    const tenant = ledger.store.forTenant(`t-${randomUUID()}`);
    const leased = await leaseMany(tenant, 7);
    // jsonb cannot hold \u0000: the whole statement fails, so the batch is split until that item stands alone.
    const poisoned = new Set([2, 5]);
    const results = await tenant.completeJobs({
      completions: leased.map(({ lease }, i) => ({
        ...lease,
        outcome: 'succeeded' as const,
        result: poisoned.has(i) ? { text: 'nul \u0000 here' } : { i },
        retryDelaysMs: NO_BACKOFF,
      })),
    });
    expect(results.map((r) => (r.ok ? r.disposition : r.error.code))).toEqual([
      'succeeded',
      'succeeded',
      'VALIDATION_FAILED',
      'succeeded',
      'succeeded',
      'VALIDATION_FAILED',
      'succeeded',
    ]);
    expect(results.map((r) => r.leaseId)).toEqual(leased.map((l) => l.lease.leaseId));
    for (const i of poisoned) {
      expect(await tenant.getJob(leased[i]!.job.jobId)).toMatchObject({ status: 'leased' });
    }
    // The single call refuses the same value the same way, as a thrown error.
    await expect(
      tenant.completeJob({
        ...leased[2]!.lease,
        outcome: 'succeeded',
        result: '\u0000',
        retryDelaysMs: NO_BACKOFF,
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const repeated = await tenant.completeJobs({
      completions: [2, 5].map((i) => ({ ...leased[i]!.lease, outcome: 'canceled', retryDelaysMs: [] })),
    });
    expect(repeated.map((r) => r.ok && r.disposition)).toEqual(['canceled', 'canceled']);
  });
}

describe('lease batches on PGlite', () => {
  refusedValueTests(async () => {
    const { store } = await openLedger({ pgliteImage: await migratedPgliteImage() });
    return { store, cleanup: () => store.close() };
  });
});

describe.skipIf(!postgres)('lease batches on PostgreSQL', () => {
  refusedValueTests(async () => {
    const database = await createTestDatabase();
    const { store } = await openLedger({ databaseUrl: database.url });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  });

  test('batches over the same leases in different orders never deadlock', async () => {
    const database = await createTestDatabase();
    const { driver, store: owner } = await openLedger({ databaseUrl: database.url });
    const counting = countingTransientErrors(driver);
    const store = new PostgresJobStore(counting.driver);
    try {
      for (let round = 0; round < 5; round++) {
        const tenant = store.forTenant(`t-${randomUUID()}`);
        const leased = await leaseMany(tenant, 60);
        const orders = [leased, [...leased].reverse(), [...leased.slice(30), ...leased.slice(0, 30)]];
        const heartbeats = orders.map((order) =>
          tenant.extendLeases({
            heartbeats: order.map(({ lease }) => ({ ...lease, leaseDurationMs: 30_000 })),
          }),
        );
        await Promise.all(heartbeats);
        const answers = await Promise.all(
          [...orders, ...orders].map((order) =>
            tenant.completeJobs({
              completions: order.map(({ lease }) => ({
                ...lease,
                outcome: 'succeeded' as const,
                retryDelaysMs: NO_BACKOFF,
              })),
            }),
          ),
        );
        expect(answers.flat().filter((r) => r.ok)).toHaveLength(leased.length);
      }
      expect(counting.count()).toBe(0);
    } finally {
      await owner.close();
      await database.drop();
    }
  });
});
