import { createTestDatabase, quotaStoreConformance, requireServices } from '@stella-orch/testing';
import { describe } from 'vitest';
import { openLedger } from './open-ledger.js';

const postgres = await requireServices(['postgres'], 'PostgresQuotaStore on PostgreSQL (conformance)');

describe.skipIf(!postgres)('PostgreSQL', () => {
  quotaStoreConformance('PostgreSQL', async () => {
    const database = await createTestDatabase();
    const { store, quotas, audit, driver } = await openLedger({ databaseUrl: database.url });
    return {
      store,
      quotas,
      audit,
      sql: driver,
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  });
});
