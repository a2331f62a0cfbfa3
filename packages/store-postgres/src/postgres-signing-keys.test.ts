import { createTestDatabase, requireServices, signingKeyStoreConformance } from '@stella-orch/testing';
import { describe } from 'vitest';
import { openLedger } from './open-ledger.js';

const postgres = await requireServices(['postgres'], 'PostgresSigningKeyStore on PostgreSQL (conformance)');

describe.skipIf(!postgres)('PostgreSQL', () => {
  signingKeyStoreConformance('PostgreSQL', async () => {
    const database = await createTestDatabase();
    const { store, keys, driver } = await openLedger({ databaseUrl: database.url });
    return {
      keys,
      sql: driver,
      // Another replica: a ledger of its own (its own pool) on the same database.
      openSecond: async () => {
        const second = await openLedger({ databaseUrl: database.url, migrate: false });
        return { keys: second.keys, close: () => second.store.close() };
      },
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  });
});
