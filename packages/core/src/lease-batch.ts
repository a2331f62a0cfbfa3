import { OrchestratorError, validationError, type FieldError } from './errors.js';
import type { LeaseItemResult, LeaseProof } from './job-store.js';

/** The most completions or heartbeats one batched call may carry. */
export const MAX_LEASE_BATCH_SIZE = 500;

/**
 * Refuses an empty batch or one larger than {@link MAX_LEASE_BATCH_SIZE}.
 * @throws OrchestratorError `VALIDATION_FAILED` naming `path`
 */
export function checkBatchSize(size: number, path: string): void {
  if (size < 1 || size > MAX_LEASE_BATCH_SIZE) {
    throw validationError([{ path, message: `must hold 1 to ${MAX_LEASE_BATCH_SIZE} items` }]);
  }
}

/**
 * Runs the items that pass `check` through `run` (one ledger call) and answers every item in input order:
 * an item that fails the check gets its own `VALIDATION_FAILED` answer and never reaches the ledger.
 */
export async function settleBatch<I extends LeaseProof, T>(
  items: readonly I[],
  check: (item: I) => FieldError[],
  run: (valid: I[]) => Promise<LeaseItemResult<T>[]>,
): Promise<LeaseItemResult<T>[]> {
  const answers: (LeaseItemResult<T> | undefined)[] = items.map((item) => {
    const errors = check(item);
    return errors.length === 0
      ? undefined
      : { ok: false, leaseId: item.leaseId, error: validationError(errors) };
  });
  const valid = items.filter((_, i) => answers[i] === undefined);
  const settled = valid.length === 0 ? [] : await run(valid);
  if (settled.length !== valid.length) {
    throw new OrchestratorError('INTERNAL', `the ledger answered ${settled.length} of ${valid.length} items`);
  }
  const fromLedger = settled.values();
  // As many answers as valid items: every gap is filled, so the filter only narrows the type.
  return answers.map((answer) => answer ?? fromLedger.next().value).filter((answer) => answer !== undefined);
}
