import { randomUUID } from 'node:crypto';
import {
  createTestDatabase,
  jobStoreConformance,
  newJob,
  requireServices,
  TEST_ACTOR,
} from '@stella-orch/testing';
import { describe, expect, test } from 'vitest';
import { openLedger } from './open-ledger.js';

const postgres = await requireServices(['postgres'], 'PostgresJobStore on PostgreSQL (conformance)');

describe.skipIf(!postgres)('PostgreSQL', () => {
  jobStoreConformance('PostgreSQL', async () => {
    const database = await createTestDatabase();
    const { store, sources } = await openLedger({ databaseUrl: database.url });
    return {
      store,
      sources,
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  });
});

describe.skipIf(!postgres)('PostgreSQL wake-ups across processes', () => {
  test('a submit in one ledger wakes listeners of another on the same database, once each', async () => {
    const database = await createTestDatabase();
    const one = await openLedger({ databaseUrl: database.url });
    const two = await openLedger({ databaseUrl: database.url, migrate: false });
    try {
      const heardByOne: string[] = [];
      const heardByTwo: string[] = [];
      one.store.onJobsReady((tenantId) => heardByOne.push(tenantId));
      two.store.onJobsReady((tenantId) => heardByTwo.push(tenantId));
      // LISTEN is set up asynchronously: let it take effect before submitting.
      await sleep(300);
      const tenant = one.store.forTenant(`t-${randomUUID()}`);
      await tenant.createJobs({ jobs: [newJob()], actor: TEST_ACTOR });
      for (let i = 0; i < 80 && heardByTwo.length === 0; i++) await sleep(25);
      await sleep(200);
      expect(heardByTwo).toEqual([tenant.tenantId]);
      expect(heardByOne).toEqual([tenant.tenantId]);
    } finally {
      await one.store.close();
      await two.store.close();
      await database.drop();
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
