import { circuitBreakerStoreConformance, createTestDatabase, requireServices } from '@stella-orch/testing';
import { describe } from 'vitest';
import { openLedger } from './open-ledger.js';

const postgres = await requireServices(
  ['postgres'],
  'PostgresCircuitBreakerStore on PostgreSQL (conformance)',
);

describe.skipIf(!postgres)('PostgreSQL', () => {
  circuitBreakerStoreConformance('PostgreSQL', async () => {
    const database = await createTestDatabase();
    const { store, circuitBreakers, sources, audit, driver } = await openLedger({
      databaseUrl: database.url,
    });
    return {
      circuitBreakers,
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
