import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOrchestratorError } from '@stella-orch/core';
import { migratedPgliteImage } from '@stella-orch/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LATEST_SCHEMA_VERSION } from './migrator.js';
import { openLedger } from './open-ledger.js';

// Writing a data directory of ~40 MB and opening it twice takes several seconds on a busy machine.
describe('openLedger from a PGlite image', { timeout: 90_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stella-orch-image-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('seeds a new data directory, which then opens without the image', async () => {
    const dataDir = join(dir, 'seeded');
    const seeded = await openLedger({ dataDir, pgliteImage: await migratedPgliteImage() });
    await seeded.driver.exec('CREATE TABLE orch.scratch (id int); INSERT INTO orch.scratch VALUES (7)');
    await seeded.store.close();
    const reopened = await openLedger({ dataDir, migrate: false });
    try {
      await expect(reopened.store.checkReady()).resolves.toBeUndefined();
      const [row] = await reopened.driver.query<{ version: number }>(
        'SELECT max(version) AS version FROM orch.schema_migrations',
      );
      expect(row?.version).toBe(LATEST_SCHEMA_VERSION);
      expect(await reopened.driver.query('SELECT id FROM orch.scratch')).toEqual([{ id: 7 }]);
    } finally {
      await reopened.store.close();
    }
  });

  test('is refused over an existing database, which stays as it was', async () => {
    const dataDir = join(dir, 'existing');
    const existing = await openLedger({ dataDir, pgliteImage: await migratedPgliteImage() });
    await existing.driver.exec('CREATE TABLE orch.scratch (id int)');
    await existing.store.close();
    const refused = await openLedger({ dataDir, pgliteImage: await migratedPgliteImage() }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isOrchestratorError(refused, 'STORE_UNAVAILABLE'), String(refused)).toBe(true);
    const reopened = await openLedger({ dataDir, migrate: false });
    try {
      expect(await reopened.driver.query('SELECT id FROM orch.scratch')).toEqual([]);
    } finally {
      await reopened.store.close();
    }
  });
});
