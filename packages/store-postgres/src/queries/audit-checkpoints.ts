import type { AuditCheckpoint } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';

const CHECKPOINT_COLUMNS = `c.tenant_id, c.sequence::float8 AS sequence, c.head_hash, c.signed_at, c.key_id,
  c.signature`;

// A repeat of a sequence inserts nothing (and updates nothing: the table refuses UPDATE); a concurrent
// first insert of the same sequence waits on the key, then does nothing either.
const INSERT_CHECKPOINT = `
INSERT INTO orch.audit_checkpoints AS c (tenant_id, sequence, head_hash, signed_at, key_id, signature)
VALUES ($1, $2::bigint, $3, $4::timestamptz, $5, $6)
ON CONFLICT (tenant_id, sequence) DO NOTHING
RETURNING ${CHECKPOINT_COLUMNS}`;

const GET_CHECKPOINT = `
SELECT ${CHECKPOINT_COLUMNS}
FROM orch.audit_checkpoints c
WHERE c.tenant_id = $1 AND c.sequence = $2::bigint`;

const LATEST_CHECKPOINT = `
SELECT ${CHECKPOINT_COLUMNS}
FROM orch.audit_checkpoints c
WHERE c.tenant_id = $1
ORDER BY c.sequence DESC
LIMIT 1`;

/** A row of orch.audit_checkpoints. */
export interface AuditCheckpointRow {
  readonly tenant_id: string;
  readonly sequence: number;
  readonly head_hash: string;
  readonly signed_at: Date | string;
  readonly key_id: string;
  readonly signature: string;
}

/** Inserts a checkpoint unless its tenant has one of that sequence; returns the row inserted, or null. */
export async function insertAuditCheckpoint(
  db: SqlExecutor,
  checkpoint: AuditCheckpoint,
): Promise<AuditCheckpointRow | null> {
  const [row] = await db.query<AuditCheckpointRow>(INSERT_CHECKPOINT, [
    checkpoint.tenantId,
    checkpoint.sequence,
    checkpoint.headHash,
    checkpoint.signedAt,
    checkpoint.keyId,
    checkpoint.signature,
  ]);
  return row ?? null;
}

/** The tenant's checkpoint of `sequence`, or null. */
export async function getAuditCheckpoint(
  db: SqlExecutor,
  tenantId: string,
  sequence: number,
): Promise<AuditCheckpointRow | null> {
  const [row] = await db.query<AuditCheckpointRow>(GET_CHECKPOINT, [tenantId, sequence]);
  return row ?? null;
}

/** The tenant's checkpoint of the highest sequence, or null. */
export async function getLatestAuditCheckpoint(
  db: SqlExecutor,
  tenantId: string,
): Promise<AuditCheckpointRow | null> {
  const [row] = await db.query<AuditCheckpointRow>(LATEST_CHECKPOINT, [tenantId]);
  return row ?? null;
}
