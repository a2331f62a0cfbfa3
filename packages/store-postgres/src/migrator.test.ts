import { isOrchestratorError } from '@stella-orch/core';
import { createTestDatabase, requireServices } from '@stella-orch/testing';
import { describe, expect, test } from 'vitest';
import { LATEST_SCHEMA_VERSION, migrate, MIGRATIONS } from './migrator.js';
import { openLedger } from './open-ledger.js';
import { PgliteDriver } from './pglite-driver.js';
import { PostgresDriver } from './postgres-driver.js';
import { PostgresJobStore } from './postgres-job-store.js';
import type { SqlDriver } from './sql-driver.js';

const postgres = await requireServices(['postgres'], 'migrator tests on PostgreSQL');

async function versions(driver: SqlDriver) {
  return driver.query<{ version: number; name: string }>(
    'SELECT version, name FROM orch.schema_migrations ORDER BY version',
  );
}

async function codeOf(promise: Promise<unknown>) {
  return promise.then(
    () => 'resolved',
    (e: unknown) => (isOrchestratorError(e) ? e.code : e),
  );
}

/** The same checks on both engines. */
function engineTests(open: () => Promise<{ driver: SqlDriver; cleanup: () => Promise<void> }>) {
  test('applies every migration once; a second run applies nothing', async () => {
    const { driver, cleanup } = await open();
    try {
      expect(await migrate(driver)).toEqual({
        applied: MIGRATIONS.map((m) => m.version),
        version: LATEST_SCHEMA_VERSION,
      });
      expect(await migrate(driver)).toEqual({ applied: [], version: LATEST_SCHEMA_VERSION });
      expect(await versions(driver)).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      await expect(new PostgresJobStore(driver).checkReady()).resolves.toBeUndefined();
    } finally {
      await cleanup();
    }
  });

  test('refuses a database whose schema is newer than the code', async () => {
    const { driver, cleanup } = await open();
    try {
      await migrate(driver);
      await driver.query(
        "INSERT INTO orch.schema_migrations (version, name) VALUES ($1, 'from_the_future')",
        [LATEST_SCHEMA_VERSION + 1],
      );
      expect(await codeOf(migrate(driver))).toBe('STORE_UNAVAILABLE');
      expect(await codeOf(new PostgresJobStore(driver).checkReady())).toBe('STORE_UNAVAILABLE');
      expect(await versions(driver)).toHaveLength(LATEST_SCHEMA_VERSION + 1);
    } finally {
      await cleanup();
    }
  });

  test('a failing migration rolls back entirely', async () => {
    const { driver, cleanup } = await open();
    try {
      await migrate(driver);
      const broken = {
        version: LATEST_SCHEMA_VERSION + 1,
        name: 'broken',
        sql: 'CREATE TABLE orch.half_done (id int);\nSELECT 1 / 0;',
      };
      expect(await codeOf(migrate(driver, [...MIGRATIONS, broken]))).toBe('INTERNAL');
      expect(await versions(driver)).toHaveLength(LATEST_SCHEMA_VERSION);
      expect(await driver.query("SELECT to_regclass('orch.half_done')::text AS t")).toEqual([{ t: null }]);
    } finally {
      await cleanup();
    }
  });

  test('an unmigrated ledger is not ready', async () => {
    const { driver, cleanup } = await open();
    try {
      expect(await codeOf(new PostgresJobStore(driver).checkReady())).toBe('STORE_UNAVAILABLE');
    } finally {
      await cleanup();
    }
  });
}

describe('migrator on PGlite', () => {
  engineTests(async () => {
    const driver = await PgliteDriver.open();
    return { driver, cleanup: () => driver.close() };
  });

  // Two ledgers built from scratch (initdb each): over 30 s when every core is busy.
  test('openLedger migrates by default and not with migrate: false', async () => {
    const plain = await openLedger({ migrate: false });
    expect(await codeOf(plain.store.checkReady())).toBe('STORE_UNAVAILABLE');
    await plain.store.close();
    const migrated = await openLedger();
    await expect(migrated.store.checkReady()).resolves.toBeUndefined();
    await migrated.store.close();
    // Closing the store closed the driver it owned.
    expect(await codeOf(migrated.driver.query('SELECT 1'))).toBe('STORE_UNAVAILABLE');
  }, 90_000);
});

describe.skipIf(!postgres)('migrator on PostgreSQL', () => {
  engineTests(async () => {
    const database = await createTestDatabase();
    const driver = new PostgresDriver({ databaseUrl: database.url });
    return {
      driver,
      cleanup: async () => {
        await driver.close();
        await database.drop();
      },
    };
  });

  test('processes migrating at once apply each migration exactly once', async () => {
    const database = await createTestDatabase();
    const drivers = Array.from(
      { length: 4 },
      () => new PostgresDriver({ databaseUrl: database.url, maxConnections: 1 }),
    );
    try {
      // Open every session first so that the migrations really start together.
      await Promise.all(drivers.map((d) => d.query('SELECT 1')));
      const reports = await Promise.all(drivers.map((d) => migrate(d)));
      const applied = reports.map((r) => r.applied).sort((a, b) => b.length - a.length);
      expect(applied).toEqual([MIGRATIONS.map((m) => m.version), [], [], []]);
      expect(reports.every((r) => r.version === LATEST_SCHEMA_VERSION)).toBe(true);
      expect(await versions(drivers[0]!)).toHaveLength(MIGRATIONS.length);
    } finally {
      await Promise.all(drivers.map((d) => d.close()));
      await database.drop();
    }
  });
});
