import type { SqlExecutor } from './sql-driver.js';

// The catalogue queries behind the schema dump: tables and columns, constraints, indexes and triggers of
// schema `orch`, each in a stable order, so the same migrations give the same text on every engine.
const COLUMNS = `
SELECT c.table_name AS name,
  string_agg(
    format('  %s %s%s%s', c.column_name, c.data_type,
      CASE WHEN c.is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END,
      CASE WHEN c.column_default IS NOT NULL THEN ' DEFAULT ' || c.column_default
           WHEN c.is_identity = 'YES' THEN ' GENERATED ' || c.identity_generation || ' AS IDENTITY'
           ELSE '' END),
    E'\\n' ORDER BY c.ordinal_position) AS definition
FROM information_schema.columns c
WHERE c.table_schema = 'orch'
GROUP BY c.table_name
ORDER BY c.table_name`;

const CONSTRAINTS = `
SELECT format('%s %s', cl.relname, con.conname) AS name, pg_get_constraintdef(con.oid) AS definition
FROM pg_constraint con
JOIN pg_class cl ON cl.oid = con.conrelid
JOIN pg_namespace n ON n.oid = cl.relnamespace
-- NOT NULL constraints are catalogued as constraints only from PostgreSQL 18 (PGlite): they show as columns
WHERE n.nspname = 'orch' AND con.contype <> 'n'
ORDER BY cl.relname, con.conname`;

const INDEXES = `
SELECT indexname AS name, indexdef AS definition
FROM pg_indexes
WHERE schemaname = 'orch'
ORDER BY tablename, indexname`;

const TRIGGERS = `
SELECT format('%s %s', cl.relname, t.tgname) AS name, pg_get_triggerdef(t.oid) AS definition
FROM pg_trigger t
JOIN pg_class cl ON cl.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = cl.relnamespace
WHERE n.nspname = 'orch' AND NOT t.tgisinternal
ORDER BY cl.relname, t.tgname`;

interface Entry {
  readonly name: string;
  readonly definition: string;
}

/**
 * A text dump of the ledger schema (`orch`) read from the catalogue: tables with their columns,
 * constraints, indexes and triggers. The committed `schema.snapshot.txt` must equal it (a test compares),
 * so every schema change is visible in review.
 */
export async function dumpSchema(db: SqlExecutor): Promise<string> {
  const [tables, constraints, indexes, triggers] = await Promise.all(
    [COLUMNS, CONSTRAINTS, INDEXES, TRIGGERS].map((sql) => db.query<Entry>(sql)),
  );
  const lines: string[] = [];
  for (const t of tables ?? []) lines.push(`TABLE orch.${t.name}`, t.definition, '');
  for (const [title, entries] of [
    ['CONSTRAINTS', constraints],
    ['INDEXES', indexes],
    ['TRIGGERS', triggers],
  ] as const) {
    lines.push(title);
    for (const e of entries ?? []) lines.push(`  ${e.name}: ${e.definition}`);
    lines.push('');
  }
  return lines.join('\n');
}
