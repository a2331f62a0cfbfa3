import { clientRegistryConformance, createTestDatabase, requireServices } from '@stella-orch/testing';
import { describe } from 'vitest';
import { openLedger } from './open-ledger.js';

const postgres = await requireServices(['postgres'], 'PostgresClientRegistry on PostgreSQL (conformance)');

describe.skipIf(!postgres)('PostgreSQL', () => {
  clientRegistryConformance('PostgreSQL', async () => {
    const database = await createTestDatabase();
    const { store, audit, clients, driver } = await openLedger({ databaseUrl: database.url });
    return {
      clients,
      audit,
      sql: driver,
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  });
});
