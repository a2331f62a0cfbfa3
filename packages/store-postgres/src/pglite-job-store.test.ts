import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobStoreConformance, migratedPgliteImage } from '@stella-orch/testing';
import { openLedger } from './open-ledger.js';

jobStoreConformance('PGlite in memory', async () => {
  const { store, sources } = await openLedger({ pgliteImage: await migratedPgliteImage() });
  return { store, sources, cleanup: () => store.close() };
});

jobStoreConformance('PGlite on a data directory', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stella-orch-pglite-'));
  const { store, sources } = await openLedger({ dataDir });
  return {
    store,
    sources,
    cleanup: async () => {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
