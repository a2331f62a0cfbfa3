import { OrchestratorError, type NewJob } from '@stella-orch/core';
import { holdJobs, lockNamedSources } from './queries/sources.js';
import type { JobRow } from './row-mappers.js';
import type { SqlExecutor } from './sql-driver.js';

/**
 * Checks the sources new work names, inside the transaction that writes it: each must be registered for the
 * tenant and enabled. The sources stay locked (FOR SHARE) until that transaction ends, so a pause or disable
 * waits for it and then holds the new jobs too.
 *
 * @param sourceIds - the source ids named (`null`s are ignored)
 * @returns the ids of the named sources that are paused: their new jobs must be held
 * @throws OrchestratorError `SOURCE_NOT_FOUND` (the first unknown id; `details.sourceIds` lists all),
 *   `SOURCE_DISABLED`
 */
export async function lockSourcesOfNewWork(
  tx: SqlExecutor,
  tenantId: string,
  sourceIds: readonly (string | null)[],
): Promise<ReadonlySet<string>> {
  const named = [...new Set(sourceIds.filter((id): id is string => id !== null))].sort();
  if (named.length === 0) return new Set();
  const rows = await lockNamedSources(tx, tenantId, named);
  const found = new Map(rows.map((row) => [row.source_id, row]));
  const missing = named.filter((id) => !found.has(id));
  const [firstMissing] = missing;
  if (firstMissing !== undefined) {
    throw new OrchestratorError(
      'SOURCE_NOT_FOUND',
      missing.length === 1
        ? `source ${firstMissing} is not registered`
        : `the sources ${missing.join(', ')} are not registered`,
      { details: { sourceId: firstMissing, sourceIds: missing } },
    );
  }
  const disabled = rows.filter((row) => !row.enabled).map((row) => row.source_id);
  const [firstDisabled] = disabled;
  if (firstDisabled !== undefined) {
    throw new OrchestratorError(
      'SOURCE_DISABLED',
      `source ${firstDisabled} is disabled and takes no new jobs`,
      { details: { sourceId: firstDisabled, sourceIds: disabled } },
    );
  }
  return new Set(rows.filter((row) => row.paused).map((row) => row.source_id));
}

/** Holds the just-inserted jobs whose source is paused (they stay pending, and are not leased). */
export async function holdJobsOfPausedSources(
  tx: SqlExecutor,
  tenantId: string,
  rows: readonly JobRow[],
  paused: ReadonlySet<string>,
): Promise<void> {
  if (paused.size === 0) return;
  const held = rows.flatMap((row) =>
    row.source_id !== null && paused.has(row.source_id) ? [row.job_id] : [],
  );
  if (held.length > 0) await holdJobs(tx, tenantId, held);
}

/** Jobs to insert, for {@link lockSourcesOfNewWork}: their source ids. */
export function sourceIdsOf(jobs: readonly NewJob[]): (string | null)[] {
  return jobs.map((job) => job.sourceId);
}
