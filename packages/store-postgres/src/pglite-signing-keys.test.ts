import { signingKeyStoreConformance, migratedPgliteImage } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

signingKeyStoreConformance('PGlite in memory', async () => {
  const { store, keys, driver } = await openLedger({ pgliteImage: await migratedPgliteImage() });
  return { keys, sql: driver, cleanup: () => store.close() };
});
