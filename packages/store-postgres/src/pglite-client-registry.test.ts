import { clientRegistryConformance, migratedPgliteImage } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

clientRegistryConformance('PGlite in memory', async () => {
  const { store, audit, clients, driver } = await openLedger({ pgliteImage: await migratedPgliteImage() });
  return { clients, audit, sql: driver, cleanup: () => store.close() };
});
