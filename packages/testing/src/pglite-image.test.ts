import { mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { migrate, MIGRATIONS, openLedger } from '@stella-orch/store-postgres';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cachedPgliteImage, migratedPgliteImage, pgliteImageKey } from './pglite-image.js';

// Each build runs initdb and every migration: several seconds, more on a busy machine.
describe('the cached image of a migrated PGlite ledger', { timeout: 120_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stella-orch-image-cache-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('is built once into a file named after its key, then reused, leaving no temporary file', async () => {
    const first = await cachedPgliteImage({ dir });
    expect(first.built).toBe(true);
    expect(basename(first.file)).toBe(`stella-orch-pglite-image-${pgliteImageKey()}.tar`);
    const written = await stat(first.file);
    const second = await cachedPgliteImage({ dir });
    expect(second).toMatchObject({ built: false, file: first.file });
    expect(second.image.size).toBe(first.image.size);
    expect((await stat(first.file)).mtimeMs).toBe(written.mtimeMs);
    expect(await readdir(dir)).toEqual([basename(first.file)]);
  });

  test('is rebuilt under another name when the migrations change', async () => {
    const older = MIGRATIONS.slice(0, -1);
    expect(pgliteImageKey(older)).not.toBe(pgliteImageKey());
    const image = await cachedPgliteImage({ dir, migrations: older });
    expect(image.built).toBe(true);
    expect(basename(image.file)).toBe(`stella-orch-pglite-image-${pgliteImageKey(older)}.tar`);
    const ledger = await openLedger({ pgliteImage: image.image, migrate: false });
    try {
      const rows = await ledger.driver.query<{ version: number }>(
        'SELECT version FROM orch.schema_migrations',
      );
      expect(rows.map((row) => row.version).sort((a, b) => a - b)).toEqual(older.map((m) => m.version));
    } finally {
      await ledger.store.close();
    }
  });

  test('is rebuilt when the file is corrupt or cut short', async () => {
    const { file } = await cachedPgliteImage({ dir });
    await writeFile(file, 'not a tarball at all, and longer than a digest');
    const rebuilt = await cachedPgliteImage({ dir });
    expect(rebuilt.built).toBe(true);
    await truncate(file, (await stat(file)).size - 1);
    expect((await cachedPgliteImage({ dir })).built).toBe(true);
    expect((await cachedPgliteImage({ dir })).built).toBe(false);
  });

  test('opens a ledger with every migration applied and no rows in any orch table', async () => {
    const image = await migratedPgliteImage();
    expect(await migratedPgliteImage()).toBe(image);
    const ledger = await openLedger({ pgliteImage: image, migrate: false });
    try {
      const applied = await ledger.driver.query<{ version: number; name: string }>(
        'SELECT version, name FROM orch.schema_migrations ORDER BY version',
      );
      expect(applied).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
      await expect(ledger.store.checkReady()).resolves.toBeUndefined();
      const tables = await ledger.driver.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables
         WHERE table_schema = 'orch' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'`,
      );
      expect(tables.length).toBeGreaterThan(5);
      for (const { table_name } of tables) {
        const [count] = await ledger.driver.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM orch.${table_name}`,
        );
        expect({ table: table_name, rows: count?.n }).toEqual({ table: table_name, rows: 0 });
      }
    } finally {
      await ledger.store.close();
    }
  });

  test('then migrating finds nothing to apply', async () => {
    const ledger = await openLedger({ pgliteImage: await migratedPgliteImage(), migrate: false });
    try {
      expect(await migrate(ledger.driver)).toEqual({
        applied: [],
        version: MIGRATIONS.at(-1)?.version,
      });
    } finally {
      await ledger.store.close();
    }
  });
});
