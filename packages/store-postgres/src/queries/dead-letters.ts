import type { DeadLetterEntry } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';
import type { DeadLetterRow } from '../row-mappers.js';

const LIST_DEAD_LETTERS = `
SELECT d.entry_id::text AS entry_id, d.seq::float8 AS seq, d.job_id::text AS job_id, d.job_type, d.attempts,
  d.error_type, d.error_message, d.status, d.created_at
FROM orch.dead_letters d
WHERE d.tenant_id = $1
  AND ($2::text IS NULL OR d.status = $2::text)
  AND ($3::text IS NULL OR d.job_type = $3::text)
  AND ($4::bigint IS NULL OR d.seq < $4::bigint)
ORDER BY d.seq DESC
LIMIT $5`;

/** Filters and page of {@link listDeadLetters}. */
export interface ListDeadLettersParams {
  readonly tenantId: string;
  readonly status: DeadLetterEntry['status'] | null;
  readonly jobType: string | null;
  readonly beforeSeq: number | null;
  readonly limit: number;
}

/** Up to `limit` dead-letter entries, newest first, before `beforeSeq`. */
export function listDeadLetters(db: SqlExecutor, params: ListDeadLettersParams): Promise<DeadLetterRow[]> {
  return db.query<DeadLetterRow>(LIST_DEAD_LETTERS, [
    params.tenantId,
    params.status,
    params.jobType,
    params.beforeSeq,
    params.limit,
  ]);
}
