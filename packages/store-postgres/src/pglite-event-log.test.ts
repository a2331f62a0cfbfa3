import { eventLogConformance, migratedPgliteImage } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

eventLogConformance('PGlite in memory', async () => {
  const { store, audit, clients, events, driver } = await openLedger({
    pgliteImage: await migratedPgliteImage(),
  });
  return { store, audit, clients, events, sql: driver, cleanup: () => store.close() };
});
