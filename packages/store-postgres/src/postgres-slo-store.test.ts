import { createTestDatabase, requireServices, sloStoreConformance } from '@stella-orch/testing';
import { describe } from 'vitest';
import { openLedger } from './open-ledger.js';

const postgres = await requireServices(['postgres'], 'PostgresSloStore on PostgreSQL (conformance)');

describe.skipIf(!postgres)('PostgreSQL', () => {
  sloStoreConformance('PostgreSQL', async () => {
    const database = await createTestDatabase();
    const { store, audit, slos, driver } = await openLedger({ databaseUrl: database.url });
    return {
      slos,
      audit,
      sql: driver,
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  });
});
