import type { SqlExecutor } from '../sql-driver.js';

/** A run with the number of its jobs per status. */
export interface RunRow {
  readonly run_id: string;
  readonly tenant_id: string;
  readonly name: string;
  readonly source_id: string | null;
  readonly request_digest: string;
  readonly seq: number;
  readonly created_at: Date | string;
  /** Status → count, only statuses with jobs. */
  readonly counts: Readonly<Record<string, number>>;
}

// Counts come from orch.jobs at read time (through the jobs_run index), so no counter row is contended
// on the hot path.
const RUN_COLUMNS = `r.run_id, r.tenant_id, r.name, r.source_id, r.request_digest, r.seq::float8 AS seq,
  r.created_at, coalesce(c.counts, '{}'::jsonb) AS counts`;
const RUN_COUNTS = `
LEFT JOIN LATERAL (
  SELECT jsonb_object_agg(s.status, s.n) AS counts
  FROM (
    SELECT j.status, count(*)::int AS n
    FROM orch.jobs j
    WHERE j.tenant_id = r.tenant_id AND j.run_id = r.run_id
    GROUP BY j.status
  ) s
) c ON true`;

const INSERT_RUN = `
INSERT INTO orch.runs AS r (tenant_id, run_id, name, source_id, idempotency_key, request_digest, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING r.run_id, r.tenant_id, r.name, r.source_id, r.request_digest, r.seq::float8 AS seq, r.created_at,
  '{}'::jsonb AS counts`;

const GET_RUN = `
SELECT ${RUN_COLUMNS}
FROM orch.runs r ${RUN_COUNTS}
WHERE r.tenant_id = $1 AND r.run_id = $2`;

const GET_RUN_BY_KEY = `
SELECT ${RUN_COLUMNS}
FROM orch.runs r ${RUN_COUNTS}
WHERE r.tenant_id = $1 AND r.idempotency_key = $2`;

const LIST_RUNS = `
SELECT ${RUN_COLUMNS}
FROM orch.runs r ${RUN_COUNTS}
WHERE r.tenant_id = $1 AND ($2::bigint IS NULL OR r.seq < $2::bigint)
ORDER BY r.seq DESC
LIMIT $3`;

/** A run to insert. */
export interface InsertRunParams {
  readonly tenantId: string;
  readonly runId: string;
  readonly name: string;
  readonly sourceId: string | null;
  readonly idempotencyKey: string | null;
  readonly requestDigest: string;
  readonly createdBy: string;
}

/** Inserts a run; null when its idempotency key exists already. */
export async function insertRun(db: SqlExecutor, params: InsertRunParams): Promise<RunRow | null> {
  const rows = await db.query<RunRow>(INSERT_RUN, [
    params.tenantId,
    params.runId,
    params.name,
    params.sourceId,
    params.idempotencyKey,
    params.requestDigest,
    params.createdBy,
  ]);
  return rows[0] ?? null;
}

/** One run with its counts, or null. */
export async function getRun(db: SqlExecutor, tenantId: string, runId: string): Promise<RunRow | null> {
  const rows = await db.query<RunRow>(GET_RUN, [tenantId, runId]);
  return rows[0] ?? null;
}

/** The run holding an idempotency key, or null. */
export async function getRunByIdempotencyKey(
  db: SqlExecutor,
  tenantId: string,
  key: string,
): Promise<RunRow | null> {
  const rows = await db.query<RunRow>(GET_RUN_BY_KEY, [tenantId, key]);
  return rows[0] ?? null;
}

/** Up to `limit` runs, newest first, before `beforeSeq`. */
export function listRuns(
  db: SqlExecutor,
  params: { readonly tenantId: string; readonly beforeSeq: number | null; readonly limit: number },
): Promise<RunRow[]> {
  return db.query<RunRow>(LIST_RUNS, [params.tenantId, params.beforeSeq, params.limit]);
}
