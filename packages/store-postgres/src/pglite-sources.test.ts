import { sourceStoreConformance, migratedPgliteImage } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

sourceStoreConformance('PGlite in memory', async () => {
  const { store, sources, audit, driver } = await openLedger({ pgliteImage: await migratedPgliteImage() });
  return { store, sources, audit, sql: driver, cleanup: () => store.close() };
});
