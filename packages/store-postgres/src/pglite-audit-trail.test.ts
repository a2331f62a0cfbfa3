import { auditTrailConformance, migratedPgliteImage } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

auditTrailConformance('PGlite in memory', async () => {
  const { store, audit, driver } = await openLedger({ pgliteImage: await migratedPgliteImage() });
  return { store, audit, sql: driver, cleanup: () => store.close() };
});
