import { createTestDatabase, requireServices, sourceStoreConformance } from '@stella-orch/testing';
import { describe } from 'vitest';
import { openLedger } from './open-ledger.js';

const postgres = await requireServices(['postgres'], 'PostgresSourceStore on PostgreSQL (conformance)');

describe.skipIf(!postgres)('PostgreSQL', () => {
  sourceStoreConformance('PostgreSQL', async () => {
    const database = await createTestDatabase();
    const { store, sources, audit, driver } = await openLedger({ databaseUrl: database.url });
    return {
      store,
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
