import { createTestDatabase, limitsConformance, requireServices } from '@stella-orch/testing';
import { describe } from 'vitest';
import { openLedger } from './open-ledger.js';

const postgres = await requireServices(['postgres'], 'limits at the lease grant on PostgreSQL (conformance)');

describe.skipIf(!postgres)('PostgreSQL', () => {
  limitsConformance('PostgreSQL', async () => {
    const database = await createTestDatabase();
    const { store, sources, driver } = await openLedger({ databaseUrl: database.url });
    return {
      store,
      sources,
      sql: driver,
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  });
});
