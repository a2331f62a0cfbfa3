import { createTestDatabase, requireServices } from '@stella-orch/testing';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from './migrator.js';
import { PgliteDriver } from './pglite-driver.js';
import { PostgresDriver } from './postgres-driver.js';
import { dumpSchema } from './schema-dump.js';

const SNAPSHOT = resolve(import.meta.dirname, '../schema.snapshot.txt');
const postgres = await requireServices(['postgres'], 'schema snapshot on PostgreSQL');

describe('the committed schema snapshot', () => {
  it('equals the schema the migrations build on PGlite (UPDATE_SCHEMA_SNAPSHOT=1 rewrites it)', async () => {
    const driver = await PgliteDriver.open();
    try {
      await migrate(driver);
      const dump = await dumpSchema(driver);
      if (process.env['UPDATE_SCHEMA_SNAPSHOT'] === '1') writeFileSync(SNAPSHOT, dump);
      expect(dump).toBe(readFileSync(SNAPSHOT, 'utf8'));
    } finally {
      await driver.close();
    }
  });

  it.skipIf(!postgres)('equals the schema the migrations build on PostgreSQL', async () => {
    const database = await createTestDatabase('stella_orch_schema');
    const driver = new PostgresDriver({ databaseUrl: database.url });
    try {
      await migrate(driver);
      expect(await dumpSchema(driver)).toBe(readFileSync(SNAPSHOT, 'utf8'));
    } finally {
      await driver.close();
      await database.drop();
    }
  });
});
