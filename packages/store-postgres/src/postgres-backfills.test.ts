import { backfillStoreConformance, createTestDatabase, requireServices } from '@stella-orch/testing';
import { describe } from 'vitest';
import { openLedger } from './open-ledger.js';

const postgres = await requireServices(['postgres'], 'PostgresBackfillStore on PostgreSQL (conformance)');

describe.skipIf(!postgres)('PostgreSQL', () => {
  backfillStoreConformance('PostgreSQL', async () => {
    const database = await createTestDatabase();
    const { store, backfills, sources, audit, driver } = await openLedger({ databaseUrl: database.url });
    return {
      store,
      backfills,
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
