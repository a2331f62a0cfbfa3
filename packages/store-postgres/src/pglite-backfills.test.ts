import { backfillStoreConformance } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

backfillStoreConformance('PGlite in memory', async () => {
  const { store, backfills, sources, audit, driver } = await openLedger();
  return { store, backfills, sources, audit, sql: driver, cleanup: () => store.close() };
});
