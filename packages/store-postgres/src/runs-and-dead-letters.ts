import {
  encodePageToken,
  OrchestratorError,
  type DeadLetterEntry,
  type ListDeadLettersQuery,
  type NewRun,
  type Page,
  type Run,
} from '@stella-orch/core';
import { idempotencyConflict } from './ledger-errors.js';
import { listDeadLetters } from './queries/dead-letters.js';
import { getRunByIdempotencyKey, insertRun, listRuns } from './queries/runs.js';
import { mapDeadLetter } from './row-mappers.js';
import { mapRun } from './run-status.js';
import { lockSourcesOfNewWork } from './source-check.js';
import type { SqlExecutor } from './sql-driver.js';
import { decodeSeqToken } from './page-keys.js';

/**
 * Creates a run, or returns the run its idempotency key made earlier with the same request. Its source, if
 * any, must be registered and enabled (run it in a transaction: the source stays locked until it ends).
 * @throws OrchestratorError `IDEMPOTENCY_CONFLICT`, `SOURCE_NOT_FOUND`, `SOURCE_DISABLED`
 */
export async function createRun(
  db: SqlExecutor,
  tenantId: string,
  run: NewRun,
  actor: string,
): Promise<{ run: Run; created: boolean }> {
  await lockSourcesOfNewWork(db, tenantId, [run.sourceId]);
  const inserted = await insertRun(db, { tenantId, ...run, createdBy: actor });
  if (inserted !== null) return { run: mapRun(inserted), created: true };
  const existing =
    run.idempotencyKey === null ? null : await getRunByIdempotencyKey(db, tenantId, run.idempotencyKey);
  if (existing === null)
    throw new OrchestratorError('INTERNAL', `run ${run.runId} was neither written nor found`);
  if (existing.request_digest !== run.requestDigest) {
    throw idempotencyConflict(run.idempotencyKey, { runId: existing.run_id });
  }
  return { run: mapRun(existing), created: false };
}

function page<R extends { readonly seq: number }, T>(
  rows: readonly R[],
  limit: number,
  map: (row: R) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(map),
    nextPageToken: rows.length > limit && last !== undefined ? encodePageToken([last.seq]) : null,
  };
}

/**
 * A page of runs, newest first.
 * @throws OrchestratorError `INVALID_CURSOR`
 */
export async function runPage(
  db: SqlExecutor,
  tenantId: string,
  limit: number,
  pageToken?: string,
): Promise<Page<Run>> {
  const rows = await listRuns(db, { tenantId, beforeSeq: decodeSeqToken(pageToken), limit: limit + 1 });
  return page(rows, limit, mapRun);
}

/**
 * A page of dead-letter entries, newest first.
 * @throws OrchestratorError `INVALID_CURSOR`
 */
export async function deadLetterPage(
  db: SqlExecutor,
  tenantId: string,
  query: ListDeadLettersQuery,
): Promise<Page<DeadLetterEntry>> {
  const rows = await listDeadLetters(db, {
    tenantId,
    status: query.status ?? null,
    jobType: query.jobType ?? null,
    sourceId: query.sourceId ?? null,
    errorType: query.errorType ?? null,
    createdAfter: query.createdAfter ?? null,
    createdBefore: query.createdBefore ?? null,
    beforeSeq: decodeSeqToken(query.pageToken),
    limit: query.pageSize + 1,
  });
  return page(rows, query.pageSize, mapDeadLetter);
}
