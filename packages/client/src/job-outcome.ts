import type { WorkerAbortReason } from './job-handler.js';
import { toJobFailure } from './job-errors.js';
import type { JsonValue } from './job-resources.js';
import type { CompleteRequest } from './lease-resources.js';

/** How a handler call ended: the value it returned, or what it threw. */
export type HandlerOutcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/**
 * The completion a handler's outcome calls for:
 * - a returned value → `succeeded` with the value (as JSON) as result, even after a cancel request (the
 *   work is done); a value JSON cannot carry → `failed`, type `invalid_result`, not retryable;
 * - a throw after the signal was aborted `canceled` → `canceled`;
 * - a throw after an abort for `shutdown` → the shutdown give-back ({@link shutdownFailure});
 * - any other throw → `failed` with {@link toJobFailure}.
 * (After `lease_lost` nothing is completed; the worker does not ask.)
 */
export function completionFor(
  fencingToken: number,
  signal: AbortSignal,
  outcome: HandlerOutcome,
): CompleteRequest {
  if (outcome.ok) {
    if (outcome.value === undefined) return { fencingToken, outcome: 'succeeded' };
    try {
      return {
        fencingToken,
        outcome: 'succeeded',
        result: JSON.parse(JSON.stringify(outcome.value)) as JsonValue,
      };
    } catch (error) {
      const message = `the handler's result is not JSON: ${error instanceof Error ? error.message : String(error)}`;
      return {
        fencingToken,
        outcome: 'failed',
        error: { type: 'invalid_result', message, retryable: false },
      };
    }
  }
  const reason = signal.aborted ? (signal.reason as WorkerAbortReason) : undefined;
  if (reason === 'canceled') return { fencingToken, outcome: 'canceled' };
  if (reason === 'shutdown') return shutdownFailure(fencingToken);
  return { fencingToken, outcome: 'failed', error: toJobFailure(outcome.error) };
}

/**
 * The give-back of a lease on shutdown: a retryable failure of type `worker_shutdown`, eligible again at
 * once (`retryAfterMs: 0`). The HTTP API has no release call yet, so it counts as an attempt.
 */
export function shutdownFailure(fencingToken: number): CompleteRequest {
  return {
    fencingToken,
    outcome: 'failed',
    error: { type: 'worker_shutdown', message: 'the worker shut down', retryable: true, retryAfterMs: 0 },
  };
}
