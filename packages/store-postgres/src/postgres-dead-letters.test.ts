import { createTestDatabase, deadLetterStoreConformance, requireServices } from '@stella-orch/testing';
import { describe } from 'vitest';
import { openLedger } from './open-ledger.js';

const postgres = await requireServices(['postgres'], 'PostgresDeadLetterStore on PostgreSQL (conformance)');

describe.skipIf(!postgres)('PostgreSQL', () => {
  deadLetterStoreConformance('PostgreSQL', async () => {
    const database = await createTestDatabase();
    const { store, deadLetters, audit, driver } = await openLedger({ databaseUrl: database.url });
    return {
      store,
      deadLetters,
      audit,
      sql: driver,
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  });
});
