import { migratedPgliteImage, throttleStoreConformance } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

throttleStoreConformance('PGlite in memory', async () => {
  const { store, throttles, sources, audit, driver } = await openLedger({
    pgliteImage: await migratedPgliteImage(),
  });
  return { throttles, sources, audit, sql: driver, cleanup: () => store.close() };
});
