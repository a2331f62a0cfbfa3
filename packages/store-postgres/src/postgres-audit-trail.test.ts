import { auditTrailConformance, createTestDatabase, requireServices } from '@stella-orch/testing';
import { describe } from 'vitest';
import { openLedger } from './open-ledger.js';

const postgres = await requireServices(['postgres'], 'PostgresAuditTrail on PostgreSQL (conformance)');

describe.skipIf(!postgres)('PostgreSQL', () => {
  auditTrailConformance('PostgreSQL', async () => {
    const database = await createTestDatabase();
    // The test database's owner is the superuser of the test server: it may disable the triggers.
    const { store, audit, driver } = await openLedger({ databaseUrl: database.url });
    return {
      store,
      audit,
      sql: driver,
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  });
});
