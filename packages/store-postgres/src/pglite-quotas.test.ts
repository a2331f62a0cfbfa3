import { migratedPgliteImage, quotaStoreConformance } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

quotaStoreConformance('PGlite in memory', async () => {
  const { store, quotas, audit, driver } = await openLedger({ pgliteImage: await migratedPgliteImage() });
  return { store, quotas, audit, sql: driver, cleanup: () => store.close() };
});
