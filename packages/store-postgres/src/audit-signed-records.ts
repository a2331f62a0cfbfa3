import {
  isSha256Digest,
  type AuditArchiveManifest,
  type AuditCheckpoint,
  type FieldError,
} from '@stella-orch/core';
import { isUuid } from './ledger-errors.js';
import type { AuditArchiveRow } from './queries/audit-archives.js';
import type { AuditCheckpointRow } from './queries/audit-checkpoints.js';
import { toIso } from './row-mappers.js';

const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]+$/;
const MAX_KEY_ID_LENGTH = 128;

/**
 * Whether `value` is a time exactly as `Date.prototype.toISOString` writes it (UTC, milliseconds): the
 * ledger gives a timestamp back in that form, so only then does a stored value still match its signature.
 */
function isCanonicalTime(value: string): boolean {
  const ms = Date.parse(value);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === value;
}

function checkSignedFields(
  tenantId: string,
  record: { readonly tenantId: string; readonly keyId: string; readonly signature: string },
  time: { readonly path: string; readonly value: string },
): FieldError[] {
  const errors: FieldError[] = [];
  if (record.tenantId !== tenantId) errors.push({ path: 'tenantId', message: `must be ${tenantId}` });
  if (!isCanonicalTime(time.value))
    errors.push({ path: time.path, message: 'must be an ISO-8601 UTC time with milliseconds' });
  if (record.keyId.length === 0 || record.keyId.length > MAX_KEY_ID_LENGTH)
    errors.push({ path: 'keyId', message: `must be 1 to ${MAX_KEY_ID_LENGTH} characters` });
  if (!SIGNATURE_PATTERN.test(record.signature))
    errors.push({ path: 'signature', message: 'must be base64url' });
  return errors;
}

function checkSequence(path: string, value: number, min: number): FieldError[] {
  return Number.isSafeInteger(value) && value >= min
    ? []
    : [{ path, message: `must be an integer of at least ${min}` }];
}

function checkDigest(path: string, value: string): FieldError[] {
  return isSha256Digest(value) ? [] : [{ path, message: 'must be sha256: and 64 lower-case hex digits' }];
}

/** The field errors of a checkpoint of `tenantId`'s chain, as the ledger would refuse it. */
export function checkAuditCheckpoint(tenantId: string, checkpoint: AuditCheckpoint): FieldError[] {
  return [
    ...checkSignedFields(tenantId, checkpoint, { path: 'signedAt', value: checkpoint.signedAt }),
    ...checkSequence('sequence', checkpoint.sequence, 0),
    ...checkDigest('headHash', checkpoint.headHash),
  ];
}

/**
 * The field errors of an archive manifest of `tenantId`'s chain taken alone (the range is checked
 * against the ledger when it is recorded).
 */
export function checkAuditArchiveManifest(tenantId: string, manifest: AuditArchiveManifest): FieldError[] {
  return [
    ...checkSignedFields(tenantId, manifest, { path: 'createdAt', value: manifest.createdAt }),
    // Lower case, as the ledger gives a uuid back: the signature covers the text.
    ...(isUuid(manifest.archiveId) && manifest.archiveId === manifest.archiveId.toLowerCase()
      ? []
      : [{ path: 'archiveId', message: 'must be a lower-case UUID' }]),
    ...checkSequence('firstSequence', manifest.firstSequence, 1),
    ...checkSequence('throughSequence', manifest.throughSequence, 1),
    ...checkSequence('entryCount', manifest.entryCount, 1),
    ...checkDigest('firstPrevHash', manifest.firstPrevHash),
    ...checkDigest('lastHash', manifest.lastHash),
    ...checkDigest('ndjsonDigest', manifest.ndjsonDigest),
  ];
}

/** A checkpoint row as the port's {@link AuditCheckpoint}. */
export function mapAuditCheckpoint(row: AuditCheckpointRow): AuditCheckpoint {
  return {
    tenantId: row.tenant_id,
    sequence: row.sequence,
    headHash: row.head_hash,
    signedAt: toIso(row.signed_at),
    keyId: row.key_id,
    signature: row.signature,
  };
}

/** An archive row as the port's {@link AuditArchiveManifest}. */
export function mapAuditArchive(row: AuditArchiveRow): AuditArchiveManifest {
  return {
    tenantId: row.tenant_id,
    archiveId: row.archive_id,
    firstSequence: row.first_sequence,
    throughSequence: row.through_sequence,
    firstPrevHash: row.first_prev_hash,
    lastHash: row.last_hash,
    entryCount: row.entry_count,
    ndjsonDigest: row.ndjson_digest,
    createdAt: toIso(row.created_at),
    keyId: row.key_id,
    signature: row.signature,
  };
}
