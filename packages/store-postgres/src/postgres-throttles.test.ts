import { createTestDatabase, requireServices, throttleStoreConformance } from '@stella-orch/testing';
import { describe } from 'vitest';
import { openLedger } from './open-ledger.js';

const postgres = await requireServices(['postgres'], 'PostgresThrottleStore on PostgreSQL (conformance)');

describe.skipIf(!postgres)('PostgreSQL', () => {
  throttleStoreConformance('PostgreSQL', async () => {
    const database = await createTestDatabase();
    const { store, throttles, sources, audit, driver } = await openLedger({ databaseUrl: database.url });
    return {
      throttles,
      sources,
      audit,
      sql: driver,
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  });
});
