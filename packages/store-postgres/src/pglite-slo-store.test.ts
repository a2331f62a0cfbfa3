import { sloStoreConformance } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

sloStoreConformance('PGlite in memory', async () => {
  const { store, audit, slos, driver } = await openLedger();
  return { slos, audit, sql: driver, cleanup: () => store.close() };
});
