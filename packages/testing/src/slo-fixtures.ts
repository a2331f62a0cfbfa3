import { randomUUID } from 'node:crypto';
import type { LedgerSql } from './audit-fixtures.js';

/** Terminal jobs to put in the ledger for an SLO to count. */
export interface OutcomeFixture {
  readonly status: 'succeeded' | 'failed' | 'canceled';
  readonly count: number;
  /** How long before the ledger's now the jobs completed. */
  readonly secondsAgo: number;
  readonly jobType?: string;
  readonly sourceId?: string | null;
}

const ZERO_DIGEST = `sha256:${'0'.repeat(64)}`;

// Fixed data without waiting: terminal jobs whose completed_at is set by the fixture, in one statement.
const INSERT_OUTCOMES = `
INSERT INTO orch.jobs (tenant_id, job_id, job_type, source_id, priority, payload, payload_digest, request_digest,
  status, attempt, max_attempts, correlation_id, next_eligible_at, created_at, updated_at, started_at, completed_at)
SELECT $1, gen_random_uuid(), $2, $3, 0, '{}'::jsonb, $4, $4, $5, 1, 1, $6, c.t, c.t, c.t, c.t, c.t
FROM generate_series(1, $7::int) g,
  LATERAL (SELECT now() - make_interval(secs => $8::float8) AS t) c`;

// Jobs may only name a registered source (migration 000007): the fixture registers the ones it names.
const ENSURE_SOURCE = `
INSERT INTO orch.sources (tenant_id, source_id, source_type, request_digest, created_by, updated_by)
VALUES ($1, $2, 'fixture', 'slo-fixture', 'slo-fixture', 'slo-fixture')
ON CONFLICT DO NOTHING`;

async function ensureSource(sql: LedgerSql, tenantId: string, sourceId: string): Promise<void> {
  const [table] = await sql.query<{ present: boolean }>(
    `SELECT to_regclass('orch.sources') IS NOT NULL AS present`,
  );
  if (table?.present === true) await sql.query(ENSURE_SOURCE, [tenantId, sourceId]);
}

/**
 * Inserts terminal jobs of a tenant with a chosen completion time, straight into `orch.jobs`: the outcomes
 * an SLO counts, without running jobs or waiting for time to pass.
 */
export async function insertOutcomes(
  sql: LedgerSql,
  tenantId: string,
  fixture: OutcomeFixture,
): Promise<void> {
  if (fixture.sourceId !== undefined && fixture.sourceId !== null) {
    await ensureSource(sql, tenantId, fixture.sourceId);
  }
  await sql.query(INSERT_OUTCOMES, [
    tenantId,
    fixture.jobType ?? 'ingest',
    fixture.sourceId ?? null,
    ZERO_DIGEST,
    fixture.status,
    `slo-fixture-${randomUUID()}`,
    fixture.count,
    fixture.secondsAgo,
  ]);
}

/** Moves every terminal job of a tenant `seconds` further into the past: time passing, without waiting. */
export async function ageOutcomes(sql: LedgerSql, tenantId: string, seconds: number): Promise<void> {
  await sql.query(
    `UPDATE orch.jobs
     SET completed_at = completed_at - make_interval(secs => $2::float8),
       started_at = started_at - make_interval(secs => $2::float8),
       created_at = created_at - make_interval(secs => $2::float8),
       updated_at = updated_at - make_interval(secs => $2::float8),
       next_eligible_at = next_eligible_at - make_interval(secs => $2::float8)
     WHERE tenant_id = $1 AND completed_at IS NOT NULL`,
    [tenantId, seconds],
  );
}
