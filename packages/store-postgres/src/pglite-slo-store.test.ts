import { sloStoreConformance, migratedPgliteImage } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

sloStoreConformance('PGlite in memory', async () => {
  const { store, audit, slos, driver } = await openLedger({ pgliteImage: await migratedPgliteImage() });
  return { slos, audit, sql: driver, cleanup: () => store.close() };
});
