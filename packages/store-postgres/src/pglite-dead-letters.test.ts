import { deadLetterStoreConformance, migratedPgliteImage } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

deadLetterStoreConformance('PGlite in memory', async () => {
  const { store, deadLetters, audit, driver } = await openLedger({
    pgliteImage: await migratedPgliteImage(),
  });
  return { store, deadLetters, audit, sql: driver, cleanup: () => store.close() };
});
