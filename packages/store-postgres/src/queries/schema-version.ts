import type { SqlExecutor } from '../sql-driver.js';

/** The schema version the database is at (0 when no migration ran). */
export async function selectSchemaVersion(db: SqlExecutor): Promise<number> {
  const rows = await db.query<{ version: number }>(
    'SELECT coalesce(max(version), 0)::int AS version FROM orch.schema_migrations',
  );
  return rows[0]?.version ?? 0;
}
