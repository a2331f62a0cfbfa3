import { limitsConformance, migratedPgliteImage } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

limitsConformance('PGlite in memory', async () => {
  const { store, sources, driver } = await openLedger({ pgliteImage: await migratedPgliteImage() });
  return { store, sources, sql: driver, cleanup: () => store.close() };
});
