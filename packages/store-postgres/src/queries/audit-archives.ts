import type { AuditArchiveManifest } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';

const ARCHIVE_COLUMNS = `a.tenant_id, a.archive_id::text AS archive_id, a.first_sequence::float8 AS first_sequence,
  a.through_sequence::float8 AS through_sequence, a.first_prev_hash, a.last_hash,
  a.entry_count::float8 AS entry_count, a.ndjson_digest, a.created_at, a.key_id, a.signature`;

const LATEST_ARCHIVE = `
SELECT ${ARCHIVE_COLUMNS}
FROM orch.audit_archives a
WHERE a.tenant_id = $1
ORDER BY a.through_sequence DESC
LIMIT 1`;

// The two ends of the range to archive: the first entry's prev_hash and the last entry's hash must be
// what the manifest says.
const RANGE_ENDS = `
SELECT e.sequence::float8 AS sequence, e.prev_hash, e.hash
FROM orch.audit_entries e
WHERE e.tenant_id = $1 AND e.sequence IN ($2::bigint, $3::bigint)`;

const INSERT_ARCHIVE = `
INSERT INTO orch.audit_archives (tenant_id, archive_id, first_sequence, through_sequence, first_prev_hash,
  last_hash, entry_count, ndjson_digest, created_at, key_id, signature)
VALUES ($1, $2::uuid, $3::bigint, $4::bigint, $5, $6, $7::bigint, $8, $9::timestamptz, $10, $11)`;

// Run after INSERT_ARCHIVE, as a statement of its own: the row trigger on orch.audit_entries lets each
// entry go only because that archive row is visible to it by then.
const DELETE_ARCHIVED_ENTRIES = `
WITH deleted AS (
  DELETE FROM orch.audit_entries e
  WHERE e.tenant_id = $1 AND e.sequence BETWEEN $2::bigint AND $3::bigint
  RETURNING 1
)
SELECT count(*)::int AS count FROM deleted`;

/** A row of orch.audit_archives. */
export interface AuditArchiveRow {
  readonly tenant_id: string;
  readonly archive_id: string;
  readonly first_sequence: number;
  readonly through_sequence: number;
  readonly first_prev_hash: string;
  readonly last_hash: string;
  readonly entry_count: number;
  readonly ndjson_digest: string;
  readonly created_at: Date | string;
  readonly key_id: string;
  readonly signature: string;
}

/** The sequence and hashes of an entry at one end of a range. */
export interface RangeEndRow {
  readonly sequence: number;
  readonly prev_hash: string;
  readonly hash: string;
}

/** The tenant's archive with the highest `through_sequence`, or null. */
export async function getLatestAuditArchive(
  db: SqlExecutor,
  tenantId: string,
): Promise<AuditArchiveRow | null> {
  const [row] = await db.query<AuditArchiveRow>(LATEST_ARCHIVE, [tenantId]);
  return row ?? null;
}

/** The entries `first` and `through` of the tenant's chain (those that exist). */
export function readRangeEnds(
  db: SqlExecutor,
  params: { readonly tenantId: string; readonly first: number; readonly through: number },
): Promise<RangeEndRow[]> {
  return db.query<RangeEndRow>(RANGE_ENDS, [params.tenantId, params.first, params.through]);
}

/** Inserts the archive row of a manifest. */
export async function insertAuditArchive(db: SqlExecutor, manifest: AuditArchiveManifest): Promise<void> {
  await db.query(INSERT_ARCHIVE, [
    manifest.tenantId,
    manifest.archiveId,
    manifest.firstSequence,
    manifest.throughSequence,
    manifest.firstPrevHash,
    manifest.lastHash,
    manifest.entryCount,
    manifest.ndjsonDigest,
    manifest.createdAt,
    manifest.keyId,
    manifest.signature,
  ]);
}

/** Deletes the tenant's entries `first..through` (an archive must cover them); returns how many. */
export async function deleteArchivedEntries(
  db: SqlExecutor,
  params: { readonly tenantId: string; readonly first: number; readonly through: number },
): Promise<number> {
  const [row] = await db.query<{ count: number }>(DELETE_ARCHIVED_ENTRIES, [
    params.tenantId,
    params.first,
    params.through,
  ]);
  return row?.count ?? 0;
}
