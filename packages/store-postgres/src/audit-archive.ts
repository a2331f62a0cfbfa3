import { validationError, type AuditArchiveManifest, type FieldError } from '@stella-orch/core';
import {
  deleteArchivedEntries,
  getLatestAuditArchive,
  insertAuditArchive,
  readRangeEnds,
} from './queries/audit-archives.js';
import { lockExistingAuditHead } from './queries/audit-entries.js';
import type { SqlExecutor } from './sql-driver.js';

/**
 * The field errors of an archive's range against the ledger: it must start right after the previous
 * archive (at 1 for the first), end at or before the head and not before it starts, count its entries,
 * and name the `prevHash` of its first entry and the `hash` of its last as the ledger holds them.
 */
async function checkArchiveRange(
  tx: SqlExecutor,
  manifest: AuditArchiveManifest,
  headSequence: number,
): Promise<FieldError[]> {
  const { tenantId, firstSequence: first, throughSequence: through } = manifest;
  const previous = await getLatestAuditArchive(tx, tenantId);
  const expectedFirst = previous === null ? 1 : previous.through_sequence + 1;
  const errors: FieldError[] = [];
  if (first !== expectedFirst) {
    const after =
      previous === null
        ? 'the tenant has no archive yet'
        : `the previous archive ends at ${previous.through_sequence}`;
    errors.push({ path: 'firstSequence', message: `must be ${expectedFirst}: ${after}` });
  }
  if (through < first)
    errors.push({ path: 'throughSequence', message: 'must not be less than firstSequence' });
  if (through > headSequence)
    errors.push({
      path: 'throughSequence',
      message: `must not pass the head of the chain (${headSequence})`,
    });
  if (manifest.entryCount !== through - first + 1)
    errors.push({ path: 'entryCount', message: 'must be throughSequence - firstSequence + 1' });
  if (errors.length > 0) return errors;

  const ends = await readRangeEnds(tx, { tenantId, first, through });
  const firstEntry = ends.find((e) => e.sequence === first);
  const lastEntry = ends.find((e) => e.sequence === through);
  if (firstEntry?.prev_hash !== manifest.firstPrevHash)
    errors.push({ path: 'firstPrevHash', message: `must be the prevHash of entry ${first} in the ledger` });
  if (lastEntry?.hash !== manifest.lastHash)
    errors.push({ path: 'lastHash', message: `must be the hash of entry ${through} in the ledger` });
  return errors;
}

/**
 * Records an archive of a tenant's entries and removes them, inside the caller's transaction: lock the
 * head (appends and other archives of the tenant wait), check the range against the ledger, insert the
 * archive row, then delete the entries it covers — the database's row trigger lets an entry go only once
 * an archive covers it. The head is not touched: appends go on from it.
 *
 * @returns how many entries were removed
 * @throws OrchestratorError `VALIDATION_FAILED` for a range that does not follow the previous archive,
 *   passes the head, miscounts, or names other hashes than the ledger's (nothing is written)
 */
export async function archiveAuditEntries(tx: SqlExecutor, manifest: AuditArchiveManifest): Promise<number> {
  const head = await lockExistingAuditHead(tx, manifest.tenantId);
  const errors = await checkArchiveRange(tx, manifest, head?.last_sequence ?? 0);
  if (errors.length > 0) throw validationError(errors);
  await insertAuditArchive(tx, manifest);
  return deleteArchivedEntries(tx, {
    tenantId: manifest.tenantId,
    first: manifest.firstSequence,
    through: manifest.throughSequence,
  });
}
