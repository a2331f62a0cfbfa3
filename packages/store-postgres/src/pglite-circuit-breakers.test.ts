import { circuitBreakerStoreConformance, migratedPgliteImage } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

circuitBreakerStoreConformance('PGlite in memory', async () => {
  const { store, circuitBreakers, sources, audit, driver } = await openLedger({
    pgliteImage: await migratedPgliteImage(),
  });
  return { circuitBreakers, sources, audit, sql: driver, cleanup: () => store.close() };
});
