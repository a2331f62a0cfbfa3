import type { Context } from '@opentelemetry/api';
import { isApiError, isLeaseLost, isOutcomeUnknown, isUnavailable } from './api-error.js';
import { groupBy } from './group-by.js';
import type { Job } from './job-resources.js';
import type { BatchCompletion, BatchCompletionResult, CompletionDisposition } from './lease-resources.js';
import type { OrchestratorClient } from './orchestrator-client.js';

/** What became of one completion. */
export type CompletionResult =
  | {
      readonly ok: true;
      readonly disposition: CompletionDisposition;
      readonly jobId: string;
      /** The job after completion (only when sent alone, the batch answer carries no job). */
      readonly job?: Job;
    }
  | { readonly ok: false; readonly code: string; readonly detail: string; readonly outcomeUnknown: boolean };

/** The batch endpoint accepts 500; the worker sends at most this many at once. */
export const MAX_COMPLETION_BATCH = 100;

interface Pending {
  readonly completion: BatchCompletion;
  /** The job's trace: a completion sent alone continues it (a batch belongs to no one job's trace). */
  readonly traceContext: Context | undefined;
  /** The job's tenant, sent as `X-Stella-Tenant`; `undefined`: the client's. */
  readonly tenant: string | undefined;
  resolve(result: CompletionResult): void;
  reject(error: unknown): void;
}

/**
 * Collects completions for `windowMs` (or until {@link MAX_COMPLETION_BATCH}) and sends them in one
 * `POST /leases/complete` per tenant of their jobs (a pool worker completes jobs of many tenants, and one
 * call names one); a lone completion goes through `POST /leases/{leaseId}/complete`. A refused
 * batch (a non-transient error for the whole call) is re-sent one by one so that one bad completion
 * cannot sink the others. Transient failures (after the client's own retries) reject, for the caller to
 * try again.
 */
export class CompletionBatcher {
  readonly #client: OrchestratorClient;
  readonly #windowMs: number;
  readonly #signal: AbortSignal | undefined;
  #queue: Pending[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #sends = new Set<Promise<void>>();

  /**
   * @param options - the client, the collection window, and a signal that aborts calls on the wire
   */
  constructor(options: {
    readonly client: OrchestratorClient;
    readonly windowMs: number;
    readonly signal?: AbortSignal;
  }) {
    this.#client = options.client;
    this.#windowMs = options.windowMs;
    this.#signal = options.signal;
  }

  /**
   * Queues a completion (of the job whose span `traceContext` holds, of `tenant`: the job's, for a pool
   * worker); resolves with its result once sent.
   */
  submit(completion: BatchCompletion, traceContext?: Context, tenant?: string): Promise<CompletionResult> {
    return new Promise<CompletionResult>((resolve, reject) => {
      this.#queue.push({ completion, traceContext, tenant, resolve, reject });
      if (this.#queue.length >= MAX_COMPLETION_BATCH) this.#flush();
      else
        this.#timer ??= setTimeout(() => {
          this.#flush();
        }, this.#windowMs);
    });
  }

  /** Sends whatever is queued now and waits for every send on the wire. */
  async flush(): Promise<void> {
    this.#flush();
    await Promise.allSettled([...this.#sends]);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const queued = this.#queue;
    this.#queue = [];
    for (const batch of groupBy(queued, (p) => p.tenant)) {
      const [only] = batch;
      const send = (
        batch.length === 1 && only !== undefined ? this.#sendOne(only) : this.#sendBatch(batch)
      ).finally(() => {
        this.#sends.delete(send);
      });
      this.#sends.add(send);
    }
  }

  async #sendOne(pending: Pending): Promise<void> {
    const { leaseId, ...request } = pending.completion;
    try {
      const answer = await this.#client.completeJob(leaseId, request, {
        ...this.#callOptions(pending.tenant),
        ...(pending.traceContext === undefined ? {} : { traceContext: pending.traceContext }),
      });
      pending.resolve({
        ok: true,
        disposition: answer.disposition,
        jobId: answer.job.jobId,
        job: answer.job,
      });
    } catch (error) {
      if (isApiError(error) && !isUnavailable(error)) {
        pending.resolve({
          ok: false,
          code: error.code,
          detail: error.detail,
          outcomeUnknown: isLeaseLost(error) && isOutcomeUnknown(error),
        });
      } else {
        pending.reject(error);
      }
    }
  }

  async #sendBatch(batch: readonly Pending[]): Promise<void> {
    let results: readonly BatchCompletionResult[];
    try {
      // The batch is of one tenant (see #flush).
      results = await this.#client.completeJobs(
        batch.map((p) => p.completion),
        this.#callOptions(batch[0]?.tenant),
      );
    } catch (error) {
      if (isApiError(error) && !isUnavailable(error)) {
        await Promise.all(batch.map((p) => this.#sendOne(p)));
      } else {
        for (const pending of batch) pending.reject(error);
      }
      return;
    }
    const byLease = new Map(results.map((r) => [r.leaseId, r]));
    for (const pending of batch) {
      const result = byLease.get(pending.completion.leaseId);
      if (result === undefined) {
        pending.reject(new Error(`the server answered no result for lease ${pending.completion.leaseId}`));
      } else if (result.ok) {
        pending.resolve({ ok: true, disposition: result.disposition, jobId: result.jobId });
      } else {
        pending.resolve({
          ok: false,
          code: result.code,
          detail: result.detail,
          outcomeUnknown: result.outcomeUnknown === true,
        });
      }
    }
  }

  #callOptions(tenant: string | undefined): { signal?: AbortSignal; tenant?: string } {
    return {
      ...(this.#signal === undefined ? {} : { signal: this.#signal }),
      ...(tenant === undefined ? {} : { tenant }),
    };
  }
}
