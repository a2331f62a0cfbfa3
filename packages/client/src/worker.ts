import { context, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { EventEmitter } from 'node:events';
import { isApiError, OrchestratorApiError } from './api-error.js';
import { backoffDelayMs, sleepUnlessAborted } from './backoff.js';
import { CompletionBatcher, type CompletionResult } from './completion-batcher.js';
import { HeartbeatScheduler } from './heartbeat-scheduler.js';
import { createJobContext } from './job-context.js';
import type { JobContext, WorkerAbortReason } from './job-handler.js';
import { completionFor, shutdownFailure, type HandlerOutcome } from './job-outcome.js';
import type { CompleteRequest, LeaseGrant } from './lease-resources.js';
import { TokenRequestError } from './token-request-error.js';
import { parentContextOf } from './trace-propagation.js';
import type { StopOptions, WorkerEvents, WorkerStats } from './worker-events.js';
import {
  MAX_LEASE_BATCH,
  resolveWorkerOptions,
  type ResolvedWorkerOptions,
  type WorkerOptions,
} from './worker-options.js';

interface ActiveJob {
  readonly grant: LeaseGrant;
  readonly controller: AbortController;
  /** The job's `orch.job.run` span (not for leases given back unstarted), ended once it is completed. */
  readonly span?: Span;
  /** The context holding {@link ActiveJob.span}: the handler runs in it, its lease calls carry it. */
  readonly traceContext?: Context;
  leaseUntil: string;
  /** The lease is gone: nothing is completed. */
  lost: boolean;
  /** Completed by a shutdown while the handler still ran: its late result is dropped. */
  forced: boolean;
  /** The completion is under way: heartbeats keep the lease, but their `LEASE_LOST` means nothing new. */
  completing: boolean;
  settled?: Promise<void>;
}

/** How long handlers aborted by a stop get to settle before their leases are given back regardless. */
const ABORT_GRACE_MS = 1_000;
/** Deliveries of one completion before giving up (the client retries each delivery too). */
const MAX_COMPLETION_DELIVERIES = 5;
/** Empty answers well before `pollWaitMs` in a row after which the loop pauses `idlePollDelayMs`. */
const QUICK_EMPTY_POLLS_BEFORE_PAUSE = 3;
/** The name of the span each job's handler runs in. */
export const JOB_RUN_SPAN_NAME = 'orch.job.run';
/** Lease-call errors that retrying cannot fix: the worker stops and `start()` rejects. */
const PERMANENT_LEASE_STATUSES = new Set([400, 401, 403, 404, 405, 413, 415]);

/**
 * Leases jobs over HTTP and runs a handler on each, with at most `concurrency` in flight.
 *
 * The loop long-polls `POST /leases` for as many jobs as it has free slots; each job's lease is kept
 * alive by heartbeats (batched when several are due). A heartbeat answering `cancelRequested` aborts the
 * handler's signal with reason `canceled`; one answering `LEASE_LOST` aborts it with `lease_lost`, and
 * that job is not completed. Completions are batched for `completionBatchWindowMs`.
 *
 * Every call on a lease names the job's tenant (`X-Stella-Tenant: job.tenantId`), and batched calls go
 * out one per tenant: so a pool worker (`tenant: '*'`, a token for every tenant, decision 0016 §6) runs
 * jobs of many tenants; for a tenant's own worker the header repeats its tenant.
 *
 * `stop()` stops leasing (aborting the long-poll), lets handlers finish (or aborts them), flushes the
 * completions and resolves `start()`. Leases received but not started are given back as a failed attempt
 * `{ type: 'worker_shutdown', retryable: true, retryAfterMs: 0 }`: the HTTP API has no release call yet,
 * so a give-back counts as an attempt. A lease answer that arrives while the long-poll is being aborted
 * is lost with it; such a lease lapses and the server retries the job (a `timed_out` attempt).
 */
export class Worker extends EventEmitter<WorkerEvents> {
  /** This worker's id, sent with every lease call. */
  readonly workerId: string;
  readonly #options: ResolvedWorkerOptions;
  readonly #heartbeats: HeartbeatScheduler;
  readonly #completions: CompletionBatcher;
  readonly #handlers = new Map<string, ActiveJob>();
  readonly #completing = new Set<Promise<void>>();
  readonly #pollAbort = new AbortController();
  readonly #stopAbort = new AbortController();
  readonly #hardStop = new AbortController();
  readonly #finished = Promise.withResolvers<undefined>();
  #slotWaiters: (() => void)[] = [];
  #state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  #loopDone: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;
  #fatal: unknown;
  readonly #counts = {
    leased: 0,
    succeeded: 0,
    failed: 0,
    canceled: 0,
    lostLeases: 0,
    outcomeUnknown: 0,
    returned: 0,
    pollErrors: 0,
    completionErrors: 0,
  };

  /**
   * @param options - where the orchestrator is, job types, handler and tuning (see {@link WorkerOptions})
   * @throws TypeError or RangeError for bad settings
   */
  constructor(options: WorkerOptions) {
    super();
    this.#options = resolveWorkerOptions(options);
    this.workerId = this.#options.workerId;
    const { client, heartbeatIntervalMs, leaseDurationMs, logger, completionBatchWindowMs } = this.#options;
    this.#heartbeats = new HeartbeatScheduler({
      client,
      intervalMs: heartbeatIntervalMs,
      leaseDurationMs,
      logger,
    });
    this.#completions = new CompletionBatcher({
      client,
      windowMs: completionBatchWindowMs,
      signal: this.#hardStop.signal,
    });
    // The promise is also returned by start(); this keeps an unobserved rejection from crashing a process.
    this.#finished.promise.catch(() => undefined);
  }

  /** A snapshot of the counters. */
  get stats(): WorkerStats {
    return { ...this.#counts, inFlight: this.#handlers.size };
  }

  /**
   * Starts the lease loop.
   * @returns a promise that resolves once the worker has stopped, or rejects with the error that stopped
   *   it (a lease call the server refuses for good, such as a 400 or 403)
   * @throws Error when called twice
   */
  start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error('the worker was already started');
    this.#state = 'running';
    this.#options.logger.info(
      { workerId: this.workerId, jobTypes: this.#options.jobTypes },
      'worker started',
    );
    this.#loopDone = this.#loop();
    return this.#finished.promise;
  }

  /**
   * Stops the worker: no more leasing; running handlers finish (graceful, up to `timeoutMs`) or are
   * aborted with reason `shutdown`; unstarted leases are given back; completions are flushed. Calling it
   * again returns the same promise, except that a non-graceful call aborts the handlers still running.
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (this.#state === 'idle') {
      this.#state = 'stopped';
      this.#finished.resolve(undefined);
    }
    if (options.graceful === false) this.#abortHandlers('shutdown');
    this.#stopping ??= this.#shutdown(options);
    return this.#stopping;
  }

  async #loop(): Promise<void> {
    const o = this.#options;
    let errors = 0;
    let quickEmpties = 0;
    while (this.#state === 'running') {
      // A job holds its slot until its completion is delivered, not just until its handler returns: the
      // leases a worker holds never exceed `concurrency`, however slowly the server accepts completions.
      const free = o.concurrency - this.#handlers.size - this.#completing.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
        continue;
      }
      const startedAt = Date.now();
      let grants;
      try {
        const limit = Math.min(free, o.batchSize, MAX_LEASE_BATCH);
        const request = {
          workerId: this.workerId,
          jobTypes: o.jobTypes,
          limit,
          leaseDurationMs: o.leaseDurationMs,
        };
        grants = await o.client.leaseJobs(
          { ...request, waitMs: o.pollWaitMs },
          { signal: this.#pollAbort.signal },
        );
        errors = 0;
      } catch (error) {
        if (this.#state !== 'running') break;
        if (error instanceof OrchestratorApiError && PERMANENT_LEASE_STATUSES.has(error.status)) {
          o.logger.error(
            { code: error.code, detail: error.detail },
            'the server refuses lease calls; stopping',
          );
          this.#fatal = error;
          void this.stop();
          break;
        }
        if (error instanceof TokenRequestError) {
          o.logger.error(
            { error: error.error, description: error.error_description },
            'the token endpoint refuses the worker’s credentials; stopping',
          );
          this.#fatal = error;
          void this.stop();
          break;
        }
        errors++;
        this.#counts.pollErrors++;
        this.#emit('pollError', error);
        const wait =
          (isApiError(error) ? error.retryAfterMs : undefined) ?? backoffDelayMs(o.errorBackoff, errors);
        o.logger.warn({ error: describe(error), retryInMs: wait }, 'lease call failed');
        await sleepUnlessAborted(wait, this.#stopAbort.signal);
        continue;
      }
      for (const grant of grants) {
        if (this.#state !== 'running' || this.#handlers.size >= o.concurrency) this.#giveBack(grant);
        else this.#startJob(grant);
      }
      // An empty answer long before the wait was up: a spurious wake-up, or a server without long-poll.
      // Only the latter repeats; pause then, so the loop never spins.
      const quickEmpty = grants.length === 0 && Date.now() - startedAt < o.pollWaitMs / 2;
      quickEmpties = quickEmpty ? quickEmpties + 1 : 0;
      if (grants.length === 0 && (o.pollWaitMs === 0 || quickEmpties >= QUICK_EMPTY_POLLS_BEFORE_PAUSE)) {
        await sleepUnlessAborted(o.idlePollDelayMs, this.#stopAbort.signal);
      }
    }
  }

  #startJob(grant: LeaseGrant): void {
    const { span, traceContext } = this.#runSpan(grant);
    const active: ActiveJob = {
      grant,
      controller: new AbortController(),
      span,
      traceContext,
      leaseUntil: grant.leaseUntil,
      lost: false,
      forced: false,
      completing: false,
    };
    this.#handlers.set(grant.leaseId, active);
    this.#counts.leased++;
    this.#emit('leased', grant);
    this.#heartbeats.add({
      leaseId: grant.leaseId,
      fencingToken: grant.fencingToken,
      tenant: grant.job.tenantId,
      traceContext,
      onBeat: (answer) => {
        active.leaseUntil = answer.leaseUntil;
        if (answer.cancelRequested) this.#abort(active, 'canceled');
      },
      onLost: () => {
        this.#onLost(active, 'heartbeat');
      },
    });
    active.settled = this.#invoke(active).then((outcome) => {
      this.#onSettled(active, outcome);
    });
  }

  /**
   * Starts the `orch.job.run` span of a job: a CONSUMER span whose parent is the trace context the job
   * carries from its submission (a new trace when it has none).
   */
  #runSpan(grant: LeaseGrant): { span: Span; traceContext: Context } {
    const { job } = grant;
    const parent = parentContextOf(job);
    const span = this.#options.tracer.startSpan(
      JOB_RUN_SPAN_NAME,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'orch.tenant.id': job.tenantId,
          'orch.job.id': job.jobId,
          'orch.job.type': job.jobType,
          'orch.job.attempt': job.attempt,
          'orch.lease.id': grant.leaseId,
          'orch.worker.id': this.workerId,
        },
      },
      parent,
    );
    return { span, traceContext: trace.setSpan(parent, span) };
  }

  async #invoke(active: ActiveJob): Promise<HandlerOutcome> {
    const run = () => this.#options.handler(active.grant.job, this.#context(active));
    try {
      const value: unknown =
        active.traceContext === undefined ? await run() : await context.with(active.traceContext, run);
      return { ok: true, value };
    } catch (error) {
      if (error instanceof Error) active.span?.recordException(error);
      return { ok: false, error };
    }
  }

  #onSettled(active: ActiveJob, outcome: HandlerOutcome): void {
    if (this.#handlers.get(active.grant.leaseId) === active) this.#handlers.delete(active.grant.leaseId);
    this.#wakeLoop();
    if (active.forced) return;
    if (active.lost) {
      this.#heartbeats.remove(active.grant.leaseId);
      active.span?.setStatus({ code: SpanStatusCode.ERROR, message: 'lease lost' });
      active.span?.end();
      return;
    }
    this.#track(
      this.#finish(active, completionFor(active.grant.fencingToken, active.controller.signal, outcome)),
    );
  }

  #context(active: ActiveJob): JobContext {
    const { client, leaseDurationMs, logger } = this.#options;
    return createJobContext({
      client,
      heartbeats: this.#heartbeats,
      grant: active.grant,
      workerId: this.workerId,
      leaseDurationMs,
      logger,
      signal: active.controller.signal,
      leaseUntil: () => active.leaseUntil,
      ...(active.traceContext === undefined ? {} : { traceContext: active.traceContext }),
      onLeaseLost: () => {
        this.#onLost(active, 'call');
      },
    });
  }

  #onLost(active: ActiveJob, during: 'heartbeat' | 'call'): void {
    if (active.lost || active.completing || active.forced) return;
    active.lost = true;
    this.#heartbeats.remove(active.grant.leaseId);
    this.#counts.lostLeases++;
    this.#options.logger.warn({ jobId: active.grant.job.jobId, leaseId: active.grant.leaseId }, 'lease lost');
    this.#abort(active, 'lease_lost');
    this.#emit('leaseLost', { grant: active.grant, during, outcomeUnknown: false });
  }

  #abort(active: ActiveJob, reason: WorkerAbortReason): void {
    if (!active.controller.signal.aborted) active.controller.abort(reason);
  }

  #abortHandlers(reason: WorkerAbortReason): void {
    for (const active of this.#handlers.values()) this.#abort(active, reason);
  }

  #giveBack(grant: LeaseGrant): void {
    this.#counts.leased++;
    const active: ActiveJob = {
      grant,
      controller: new AbortController(),
      leaseUntil: grant.leaseUntil,
      lost: false,
      forced: true,
      completing: false,
    };
    this.#track(this.#finish(active, shutdownFailure(grant.fencingToken), 'returned'));
  }

  async #finish(
    active: ActiveJob,
    request: CompleteRequest,
    kind: 'normal' | 'returned' = 'normal',
  ): Promise<void> {
    const { grant } = active;
    const log = this.#options.logger;
    active.completing = true;
    let result: CompletionResult | undefined;
    active.span?.setAttribute('orch.job.outcome', request.outcome);
    if (request.outcome !== 'succeeded') active.span?.setStatus({ code: SpanStatusCode.ERROR });
    try {
      result = await this.#deliver(
        { leaseId: grant.leaseId, ...request },
        active.traceContext,
        grant.job.tenantId,
      );
    } catch (error) {
      log.error(
        { jobId: grant.job.jobId, error: describe(error) },
        'could not complete; the lease will lapse',
      );
    } finally {
      this.#heartbeats.remove(grant.leaseId);
      active.span?.end();
    }
    if (result === undefined) {
      this.#counts.completionErrors++;
    } else if (result.ok && kind === 'returned') {
      this.#counts.returned++;
      this.#emit('returned', grant);
    } else if (result.ok) {
      this.#counts[request.outcome]++;
      const event = { grant, outcome: request.outcome, disposition: result.disposition };
      this.#emit('completed', request.error === undefined ? event : { ...event, error: request.error });
    } else if (result.code === 'LEASE_LOST') {
      this.#counts.lostLeases++;
      if (result.outcomeUnknown) this.#counts.outcomeUnknown++;
      log.warn({ jobId: grant.job.jobId, outcomeUnknown: result.outcomeUnknown }, 'lease lost at completion');
      this.#emit('leaseLost', { grant, during: 'complete', outcomeUnknown: result.outcomeUnknown });
    } else {
      this.#counts.completionErrors++;
      log.error({ jobId: grant.job.jobId, code: result.code, detail: result.detail }, 'completion refused');
    }
  }

  async #deliver(
    completion: Parameters<CompletionBatcher['submit']>[0],
    traceContext: Context | undefined,
    tenant: string,
  ): Promise<CompletionResult> {
    for (let delivery = 1; ; delivery++) {
      try {
        return await this.#completions.submit(completion, traceContext, tenant);
      } catch (error) {
        if (delivery >= MAX_COMPLETION_DELIVERIES || this.#hardStop.signal.aborted) throw error;
        const wait = backoffDelayMs(this.#options.errorBackoff, delivery);
        this.#options.logger.warn(
          { leaseId: completion.leaseId, error: describe(error) },
          'completion failed',
        );
        await sleepUnlessAborted(wait, this.#hardStop.signal);
      }
    }
  }

  async #shutdown(options: StopOptions): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.#options.stopTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    this.#state = 'stopping';
    this.#pollAbort.abort();
    this.#stopAbort.abort();
    this.#wakeLoop();
    if (options.graceful === false) this.#abortHandlers('shutdown');
    await settleWithin(this.#handlerPromises(), timeoutMs);
    if (this.#handlers.size > 0) {
      this.#abortHandlers('shutdown');
      await settleWithin(this.#handlerPromises(), ABORT_GRACE_MS);
      for (const active of [...this.#handlers.values()]) this.#forceGiveBack(active);
    }
    await this.#loopDone;
    await this.#completions.flush();
    await settleWithin([...this.#completing], Math.max(deadline - Date.now(), ABORT_GRACE_MS));
    this.#hardStop.abort();
    await Promise.allSettled([...this.#completing]);
    await this.#heartbeats.close();
    this.#state = 'stopped';
    this.#options.logger.info({ workerId: this.workerId, stats: this.stats }, 'worker stopped');
    this.#emit('stopped');
    if (this.#fatal === undefined) this.#finished.resolve(undefined);
    else this.#finished.reject(this.#fatal);
  }

  #forceGiveBack(active: ActiveJob): void {
    this.#handlers.delete(active.grant.leaseId);
    active.forced = true;
    this.#options.logger.warn(
      { jobId: active.grant.job.jobId },
      'handler ignored the abort; giving the lease back',
    );
    this.#track(this.#finish(active, shutdownFailure(active.grant.fencingToken)));
  }

  #handlerPromises(): Promise<void>[] {
    return [...this.#handlers.values()].map((a) => a.settled ?? Promise.resolve());
  }

  #track(task: Promise<void>): void {
    const tracked = task.finally(() => {
      this.#completing.delete(tracked);
      this.#wakeLoop();
    });
    this.#completing.add(tracked);
  }

  #wakeLoop(): void {
    const waiters = this.#slotWaiters;
    this.#slotWaiters = [];
    for (const wake of waiters) wake();
  }

  #emit<K extends keyof WorkerEvents>(event: K, ...args: WorkerEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: WorkerEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.#options.logger.error({ event, error: describe(error) }, 'a worker event listener threw');
    }
  }
}

async function settleWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  if (promises.length === 0) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  await Promise.race([Promise.allSettled(promises), timeout]);
  clearTimeout(timer);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
