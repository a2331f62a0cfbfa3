import {
  isOrchestratorError,
  OrchestratorError,
  type CompletedJob,
  type CompleteJobParams,
  type CompletionResult,
  type HeartbeatParams,
  type HeartbeatResult,
  type LeaseItemResult,
  type LeaseProof,
  type LeaseState,
} from '@stella-orch/core';
import { isFencingToken, isUuid, leaseLost, runLedgerOperation } from './ledger-errors.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';
import { completeJobs, type CompletionItem, type EndedJobRow } from './queries/complete-jobs.js';
import type { WakeUp } from './queries/create-jobs.js';
import { settleDependents } from './queries/job-dependencies.js';
import { isTransientSqlError } from './sql-errors.js';
import { extendLeases, type HeartbeatItem } from './queries/heartbeat.js';
import { mapJob, toIso, toIsoOrNull, toJobStatus } from './row-mappers.js';

/**
 * Ends the attempts of a batch of completions in one statement (see `queries/complete-jobs.ts`) and
 * answers each in input order. A single completion is a batch of one. The jobs that others depend on are
 * ended afterwards, in one transaction that also settles their dependents (see `completeWithDependents`).
 */
export function completeLeaseBatch(
  db: SqlDriver,
  tenantId: string,
  completions: readonly CompleteJobParams[],
  wakeUp: DependentsWakeUp,
): Promise<CompletionResult[]> {
  return settleLeaseBatch(
    completions,
    (c): CompletionItem => ({
      leaseId: c.leaseId,
      fencingToken: c.fencingToken,
      outcome: c.outcome,
      resultJson: c.outcome === 'succeeded' ? JSON.stringify(c.result ?? null) : null,
      errorJson: c.outcome === 'failed' && c.error !== undefined ? JSON.stringify(c.error) : null,
      retryDelaysMs: c.retryDelaysMs.map((ms) => Math.max(0, Math.round(ms))),
    }),
    (items) => completeWithDependents(db, tenantId, items, wakeUp),
    (row): CompletedJob => ({
      job: mapJob(row),
      disposition: row.disposition,
      leasedAt: toIsoOrNull(row.leased_at),
    }),
  );
}

/** How the release of dependents wakes lessees: the NOTIFY of the transaction, and this process's listeners. */
export interface DependentsWakeUp extends WakeUp {
  /** Called after a commit that released jobs. */
  announce(): void;
}

/**
 * Ends the attempts of `items`: one statement for the jobs nobody depends on (the hot path, unchanged when
 * no job has dependencies); the jobs it answered deferred are ended again in one transaction with their
 * dependents — released when all their parents succeeded, canceled when a parent failed or was canceled.
 * Rows keep the positions (`ord`) of `items`.
 */
async function completeWithDependents(
  driver: SqlDriver,
  tenantId: string,
  items: readonly CompletionItem[],
  wakeUp: DependentsWakeUp,
): Promise<EndedJobRow[]> {
  const rows = await completeJobs(driver, tenantId, items);
  const deferred = rows.filter((row) => row.deferred).map((row) => row.ord);
  if (deferred.length === 0) return rows;
  const again = deferred.flatMap((ord) => items.slice(ord - 1, ord));
  let released = false;
  const ended = await runLedgerOperation(() =>
    driver.transaction(async (tx) => {
      const endedRows = await completeJobs(tx, tenantId, again, true);
      const parentsBy = (statuses: readonly string[]) =>
        endedRows.filter((r) => !r.deferred && statuses.includes(r.status)).map((r) => r.job_id);
      const changed = await settleDependents(
        tx,
        tenantId,
        { succeeded: parentsBy(['succeeded']), failed: parentsBy(['failed', 'canceled']) },
        wakeUp,
      );
      released = changed.some((c) => c.status === 'pending');
      return endedRows;
    }),
  ).catch((error: unknown) => {
    // The first statement committed: running the whole batch again would answer its leases LEASE_LOST.
    if (isTransientSqlError(error)) {
      throw new OrchestratorError('STORE_UNAVAILABLE', 'the ledger kept refusing the completion', {
        cause: error,
      });
    }
    throw error;
  });
  if (released) wakeUp.announce();
  return [
    ...rows.filter((row) => !row.deferred),
    ...ended
      .filter((row) => !row.deferred)
      .map((row) => ({ ...row, ord: deferred[row.ord - 1] ?? Number.NaN })),
  ];
}

/**
 * Extends a batch of leases in one statement (see `queries/heartbeat.ts`) and answers each in input order.
 * A single heartbeat is a batch of one.
 */
export function extendLeaseBatch(
  db: SqlExecutor,
  tenantId: string,
  heartbeats: readonly HeartbeatParams[],
): Promise<HeartbeatResult[]> {
  return settleLeaseBatch(
    heartbeats,
    (h): HeartbeatItem => ({
      leaseId: h.leaseId,
      fencingToken: h.fencingToken,
      leaseDurationMs: Math.round(h.leaseDurationMs),
      progressJson: h.progress === undefined ? null : JSON.stringify(h.progress),
    }),
    (items) => extendLeases(db, tenantId, items),
    (row): LeaseState => ({
      jobId: row.job_id,
      leaseUntil: toIso(row.lease_until),
      cancelRequested: row.cancel_requested,
      status: toJobStatus(row.status),
    }),
  );
}

/** One well-formed item of a batch, with its position in the caller's input. */
interface Positioned<I> {
  readonly index: number;
  readonly leaseId: string;
  readonly item: I;
}

/**
 * Answers every input of a batched lease call in input order. A malformed lease id or fencing token
 * cannot name a current lease, so it is `LEASE_LOST` without reaching the database; the rest go through
 * `statement`, and an item without a row of its own (matched by `ord`) is `LEASE_LOST`.
 */
async function settleLeaseBatch<P extends LeaseProof, I, R extends { readonly ord: number }, T>(
  inputs: readonly P[],
  toItem: (input: P) => I,
  statement: (items: readonly I[]) => Promise<R[]>,
  toValue: (row: R) => T,
): Promise<LeaseItemResult<T>[]> {
  const answers: (LeaseItemResult<T> | undefined)[] = inputs.map(() => undefined);
  const wellFormed: Positioned<I>[] = [];
  inputs.forEach((input, index) => {
    if (isUuid(input.leaseId) && isFencingToken(input.fencingToken)) {
      wellFormed.push({ index, leaseId: input.leaseId, item: toItem(input) });
    } else {
      answers[index] = { ok: false, leaseId: input.leaseId, error: leaseLost(input.leaseId) };
    }
  });
  for (const [index, answer] of await runIsolating(wellFormed, statement, toValue)) answers[index] = answer;
  return answers.map((answer, index) => {
    if (answer === undefined) throw new OrchestratorError('INTERNAL', `batch item ${index} has no answer`);
    return answer;
  });
}

/**
 * Runs `statement` over `batch` and pairs each item's position with its answer. A value the ledger refuses
 * (`VALIDATION_FAILED`: a JSON text `jsonb` cannot hold, such as one with `\u0000`) fails the whole
 * statement, and nothing of it is written; the batch is then halved, halves run in input order, until the
 * refused item stands alone, so that it alone is answered `VALIDATION_FAILED`. Running in input order
 * keeps the rule that the first of two completions of a lease is the accepted one.
 */
async function runIsolating<I, R extends { readonly ord: number }, T>(
  batch: readonly Positioned<I>[],
  statement: (items: readonly I[]) => Promise<R[]>,
  toValue: (row: R) => T,
): Promise<[number, LeaseItemResult<T>][]> {
  if (batch.length === 0) return [];
  let rows: R[];
  try {
    rows = await runLedgerOperation(() => statement(batch.map((p) => p.item)));
  } catch (error) {
    if (!isOrchestratorError(error, 'VALIDATION_FAILED')) throw error;
    const [only] = batch;
    if (batch.length === 1 && only !== undefined) {
      return [[only.index, { ok: false, leaseId: only.leaseId, error }]];
    }
    const half = Math.ceil(batch.length / 2);
    const first = await runIsolating(batch.slice(0, half), statement, toValue);
    return [...first, ...(await runIsolating(batch.slice(half), statement, toValue))];
  }
  const byOrd = new Map(rows.map((row) => [row.ord, row]));
  return batch.map((p, i): [number, LeaseItemResult<T>] => {
    const row = byOrd.get(i + 1);
    return [
      p.index,
      row === undefined
        ? { ok: false, leaseId: p.leaseId, error: leaseLost(p.leaseId) }
        : { ok: true, leaseId: p.leaseId, ...toValue(row) },
    ];
  });
}
