import type { DeadLetterEntry, ReplayFilter } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';
import type { DeadLetterRow, JobRow } from '../row-mappers.js';
import { JOB_COLUMNS } from './job-columns.js';

/** A timestamp as the drivers return it (PGlite: `Date`; `pg`: `Date`, or text when so configured). */
type SqlTimestamp = Date | string;

/** The columns of a `DeadLetterRow`: the entry `d` and the source of its job `j`. */
const DEAD_LETTER_COLUMNS = `d.entry_id::text AS entry_id, d.seq::float8 AS seq, d.job_id::text AS job_id,
  d.job_type, d.attempts, d.error_type, d.error_message, d.status, d.created_at, d.updated_at, j.source_id,
  d.replayed_job_id::text AS replayed_job_id, d.resolution_note, d.resolved_by, d.resolved_at`;

const ENTRY_JOIN = `orch.dead_letters d
JOIN orch.jobs j ON j.tenant_id = d.tenant_id AND j.job_id = d.job_id`;

const LIST_DEAD_LETTERS = `
SELECT ${DEAD_LETTER_COLUMNS}
FROM ${ENTRY_JOIN}
WHERE d.tenant_id = $1
  AND ($2::text IS NULL OR d.status = $2::text)
  AND ($3::text IS NULL OR d.job_type = $3::text)
  AND ($4::text IS NULL OR j.source_id = $4::text)
  AND ($5::text IS NULL OR d.error_type = $5::text)
  AND ($6::timestamptz IS NULL OR d.created_at >= $6::timestamptz)
  AND ($7::timestamptz IS NULL OR d.created_at < $7::timestamptz)
  AND ($8::bigint IS NULL OR d.seq < $8::bigint)
ORDER BY d.seq DESC
LIMIT $9`;

const GET_DEAD_LETTER = `
SELECT ${DEAD_LETTER_COLUMNS}
FROM ${ENTRY_JOIN}
WHERE d.tenant_id = $1 AND d.entry_id = $2::uuid`;

const LOCK_DEAD_LETTER = `${GET_DEAD_LETTER}
FOR NO KEY UPDATE OF d`;

const MARK_REPLAYED = `
UPDATE orch.dead_letters AS d
SET status = 'replayed', replayed_job_id = $3::uuid, replayed_by = $4, replayed_at = now(), updated_at = now()
FROM orch.jobs j
WHERE d.tenant_id = $1 AND d.entry_id = $2::uuid AND d.status = 'open'
  AND j.tenant_id = d.tenant_id AND j.job_id = d.job_id
RETURNING ${DEAD_LETTER_COLUMNS}`;

const MARK_RESOLVED = `
UPDATE orch.dead_letters AS d
SET status = 'resolved', resolution_note = $3, resolved_by = $4, resolved_at = now(), updated_at = now()
FROM orch.jobs j
WHERE d.tenant_id = $1 AND d.entry_id = $2::uuid AND d.status = 'open'
  AND j.tenant_id = d.tenant_id AND j.job_id = d.job_id
RETURNING ${DEAD_LETTER_COLUMNS}`;

const MARK_JOBS_REPLAYED = `
UPDATE orch.dead_letters AS d
SET status = 'replayed', replayed_job_id = m.new_job_id, replayed_by = $4, replayed_at = now(),
    updated_at = now()
FROM unnest($2::uuid[], $3::uuid[]) AS m(job_id, new_job_id)
WHERE d.tenant_id = $1 AND d.job_id = m.job_id AND d.status = 'open'
RETURNING d.entry_id::text AS entry_id`;

const COUNT_BY_STATUS = `
SELECT d.status, count(*)::int AS count
FROM orch.dead_letters d
WHERE d.tenant_id = $1
GROUP BY d.status`;

const TOP_ERROR_TYPES = `
SELECT d.error_type, count(*)::int AS count
FROM orch.dead_letters d
WHERE d.tenant_id = $1 AND d.status = 'open'
GROUP BY d.error_type
ORDER BY count(*) DESC, d.error_type
LIMIT $2`;

const OLDEST_OPEN = `
SELECT d.entry_id::text AS entry_id, d.job_id::text AS job_id, d.job_type, d.created_at
FROM orch.dead_letters d
WHERE d.tenant_id = $1 AND d.status = 'open'
ORDER BY d.created_at, d.seq
LIMIT 1`;

const OPEN_GROUPS = `
SELECT d.job_type, d.error_type, j.source_id, count(*)::int AS count,
  min(d.created_at) AS first_seen_at, max(d.created_at) AS last_seen_at,
  (array_agg(d.error_message ORDER BY d.seq DESC))[1] AS sample_message,
  (sum(count(*)) OVER ())::int AS total_open, (count(*) OVER ())::int AS group_count
FROM ${ENTRY_JOIN}
WHERE d.tenant_id = $1 AND d.status = 'open'
GROUP BY d.job_type, d.error_type, j.source_id
ORDER BY count(*) DESC, d.job_type, d.error_type, j.source_id NULLS FIRST
LIMIT $2`;

/** The jobs a replay filter matches (parameters 1–7, see {@link filterParams}). */
const REPLAY_MATCH = `
WHERE j.tenant_id = $1
  AND j.status = ANY($2::text[])
  AND ($3::text IS NULL OR j.job_type = $3::text)
  AND ($4::text IS NULL OR j.source_id = $4::text)
  AND ($5::timestamptz IS NULL OR j.created_at >= $5::timestamptz)
  AND ($6::timestamptz IS NULL OR j.created_at < $6::timestamptz)
  AND (NOT $7::boolean OR EXISTS (
    SELECT 1 FROM orch.dead_letters d
    WHERE d.tenant_id = j.tenant_id AND d.job_id = j.job_id AND d.status = 'open'))`;

const PREVIEW_REPLAY = `
SELECT j.job_type, j.source_id, count(*)::int AS count
FROM orch.jobs j
${REPLAY_MATCH}
GROUP BY j.job_type, j.source_id`;

const LOCK_REPLAY_MATCHES = `
SELECT ${JOB_COLUMNS}
FROM orch.jobs j
${REPLAY_MATCH}
ORDER BY j.created_at, j.seq
LIMIT $8
FOR NO KEY UPDATE OF j`;

const COUNT_REPLAY_MATCHES = `
SELECT count(*)::int AS count
FROM orch.jobs j
${REPLAY_MATCH}`;

/** Filters and page of {@link listDeadLetters}. */
export interface ListDeadLettersParams {
  readonly tenantId: string;
  readonly status: DeadLetterEntry['status'] | null;
  readonly jobType: string | null;
  readonly sourceId: string | null;
  readonly errorType: string | null;
  readonly createdAfter: string | null;
  readonly createdBefore: string | null;
  readonly beforeSeq: number | null;
  readonly limit: number;
}

/** Up to `limit` dead-letter entries, newest first, before `beforeSeq`. */
export function listDeadLetters(db: SqlExecutor, params: ListDeadLettersParams): Promise<DeadLetterRow[]> {
  return db.query<DeadLetterRow>(LIST_DEAD_LETTERS, [
    params.tenantId,
    params.status,
    params.jobType,
    params.sourceId,
    params.errorType,
    params.createdAfter,
    params.createdBefore,
    params.beforeSeq,
    params.limit,
  ]);
}

/** One entry of the tenant (`lock`: held until the transaction ends), or `null`. */
export async function getDeadLetter(
  db: SqlExecutor,
  tenantId: string,
  entryId: string,
  lock = false,
): Promise<DeadLetterRow | null> {
  const rows = await db.query<DeadLetterRow>(lock ? LOCK_DEAD_LETTER : GET_DEAD_LETTER, [tenantId, entryId]);
  return rows[0] ?? null;
}

/** Marks an open entry `replayed` by `actor` with the job its replay made; `null` when it is not open. */
export async function markEntryReplayed(
  db: SqlExecutor,
  params: {
    readonly tenantId: string;
    readonly entryId: string;
    readonly jobId: string;
    readonly actor: string;
  },
): Promise<DeadLetterRow | null> {
  const rows = await db.query<DeadLetterRow>(MARK_REPLAYED, [
    params.tenantId,
    params.entryId,
    params.jobId,
    params.actor,
  ]);
  return rows[0] ?? null;
}

/** Marks an open entry `resolved` by `actor` with `note`; `null` when it is not open. */
export async function markEntryResolved(
  db: SqlExecutor,
  params: {
    readonly tenantId: string;
    readonly entryId: string;
    readonly note: string;
    readonly actor: string;
  },
): Promise<DeadLetterRow | null> {
  const rows = await db.query<DeadLetterRow>(MARK_RESOLVED, [
    params.tenantId,
    params.entryId,
    params.note,
    params.actor,
  ]);
  return rows[0] ?? null;
}

/** Marks the open entries of replayed jobs `replayed`, each with its clone; the entries marked. */
export async function markJobsReplayed(
  db: SqlExecutor,
  params: {
    readonly tenantId: string;
    readonly clones: readonly { readonly replayOf: string; readonly jobId: string }[];
    readonly actor: string;
  },
): Promise<number> {
  if (params.clones.length === 0) return 0;
  const rows = await db.query<{ entry_id: string }>(MARK_JOBS_REPLAYED, [
    params.tenantId,
    params.clones.map((c) => c.replayOf),
    params.clones.map((c) => c.jobId),
    params.actor,
  ]);
  return rows.length;
}

/** Entries by status. */
export function countDeadLettersByStatus(
  db: SqlExecutor,
  tenantId: string,
): Promise<{ status: DeadLetterEntry['status']; count: number }[]> {
  return db.query(COUNT_BY_STATUS, [tenantId]);
}

/** The `limit` most frequent error types of open entries. */
export function topOpenErrorTypes(
  db: SqlExecutor,
  tenantId: string,
  limit: number,
): Promise<{ error_type: string; count: number }[]> {
  return db.query(TOP_ERROR_TYPES, [tenantId, limit]);
}

/** The oldest open entry, or `null`. */
export async function oldestOpenDeadLetter(
  db: SqlExecutor,
  tenantId: string,
): Promise<{ entry_id: string; job_id: string; job_type: string; created_at: SqlTimestamp } | null> {
  const rows = await db.query<{
    entry_id: string;
    job_id: string;
    job_type: string;
    created_at: SqlTimestamp;
  }>(OLDEST_OPEN, [tenantId]);
  return rows[0] ?? null;
}

/** A group of open entries, with the total of open entries and the number of groups (before the limit). */
export interface OpenGroupRow {
  readonly job_type: string;
  readonly error_type: string;
  readonly source_id: string | null;
  readonly count: number;
  readonly first_seen_at: SqlTimestamp;
  readonly last_seen_at: SqlTimestamp;
  readonly sample_message: string;
  readonly total_open: number;
  readonly group_count: number;
}

/** Up to `limit` groups of open entries (job type × error type × source), the largest first. */
export function openDeadLetterGroups(
  db: SqlExecutor,
  tenantId: string,
  limit: number,
): Promise<OpenGroupRow[]> {
  return db.query<OpenGroupRow>(OPEN_GROUPS, [tenantId, limit]);
}

function filterParams(tenantId: string, filter: ReplayFilter): unknown[] {
  return [
    tenantId,
    [...filter.statuses],
    filter.jobType ?? null,
    filter.sourceId ?? null,
    filter.createdAfter ?? null,
    filter.createdBefore ?? null,
    filter.deadLetterStatus === 'open',
  ];
}

/** The jobs a replay filter matches, counted by job type and source. */
export function previewReplay(
  db: SqlExecutor,
  tenantId: string,
  filter: ReplayFilter,
): Promise<{ job_type: string; source_id: string | null; count: number }[]> {
  return db.query(PREVIEW_REPLAY, filterParams(tenantId, filter));
}

/** Up to `limit` jobs a replay filter matches, oldest first, locked until the transaction ends. */
export function lockReplayMatches(
  db: SqlExecutor,
  tenantId: string,
  filter: ReplayFilter,
  limit: number,
): Promise<JobRow[]> {
  return db.query<JobRow>(LOCK_REPLAY_MATCHES, [...filterParams(tenantId, filter), limit]);
}

/** How many jobs a replay filter matches. */
export async function countReplayMatches(
  db: SqlExecutor,
  tenantId: string,
  filter: ReplayFilter,
): Promise<number> {
  const rows = await db.query<{ count: number }>(COUNT_REPLAY_MATCHES, filterParams(tenantId, filter));
  return rows[0]?.count ?? 0;
}
