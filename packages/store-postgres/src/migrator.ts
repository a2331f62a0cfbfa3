import { OrchestratorError } from '@stella-orch/core';
import { EMBEDDED_MIGRATIONS } from './migrations.generated.js';
import type { Migration } from './migration.js';
import type { SqlDriver } from './sql-driver.js';

export type { Migration } from './migration.js';

/** The migrations this code knows, in version order. */
export const MIGRATIONS: readonly Migration[] = EMBEDDED_MIGRATIONS;

/** The schema version this code needs: the last known migration. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

// Created in the same locked transaction as the migrations, so two processes starting at once cannot race
// on CREATE SCHEMA.
const BOOTSTRAP = `
CREATE SCHEMA IF NOT EXISTS orch;
CREATE TABLE IF NOT EXISTS orch.schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);`;

/** What a migration run did. */
export interface MigrationReport {
  /** Versions applied by this call, in order (empty when the schema was current). */
  readonly applied: readonly number[];
  /** The schema version afterwards. */
  readonly version: number;
}

/**
 * Brings the ledger schema up to date: applies the pending migrations in one transaction under a
 * transaction-scoped advisory lock, so that processes starting at once apply each migration exactly once
 * (the second waits, then finds nothing to do).
 *
 * @param driver - the database
 * @param migrations - the migrations to apply (default: the embedded ones)
 * @throws OrchestratorError `STORE_UNAVAILABLE` when the database has a newer schema than the code knows,
 *   or cannot be reached; a migration's own failure rolls everything back
 */
export async function migrate(
  driver: SqlDriver,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationReport> {
  const known = migrations.at(-1)?.version ?? 0;
  return driver.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('stella-orch:migrate'))");
    await tx.exec(BOOTSTRAP);
    const rows = await tx.query<{ version: number }>(
      'SELECT version FROM orch.schema_migrations ORDER BY version',
    );
    const done = new Set(rows.map((row) => row.version));
    const current = Math.max(0, ...done);
    if (current > known) {
      throw new OrchestratorError(
        'STORE_UNAVAILABLE',
        `the ledger schema is at version ${current}, newer than this code knows (${known}); upgrade the code`,
        { details: { databaseVersion: current, knownVersion: known } },
      );
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO orch.schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return { applied, version: Math.max(current, ...applied) };
  });
}
