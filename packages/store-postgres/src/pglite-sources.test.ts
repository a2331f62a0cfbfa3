import { sourceStoreConformance } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

sourceStoreConformance('PGlite in memory', async () => {
  const { store, sources, audit, driver } = await openLedger();
  return { store, sources, audit, sql: driver, cleanup: () => store.close() };
});
