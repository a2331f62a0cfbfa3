import type { JobService, Logger } from '@stella-orch/core';

/**
 * Periodically turns lapsed leases into failed attempts. Safe to run in every replica: the ledger's
 * statement skips rows another reaper holds, so each lapsed lease is reaped once.
 */
export class LeaseReaper {
  readonly #jobs: JobService;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  /** @param deps - the job service and a logger; `intervalMs` between sweeps */
  constructor(deps: { readonly jobs: JobService; readonly logger: Logger; readonly intervalMs: number }) {
    this.#jobs = deps.jobs;
    this.#logger = deps.logger;
    this.#intervalMs = deps.intervalMs;
  }

  /** Starts sweeping. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#running === undefined) {
        this.#running = this.sweep().finally(() => {
          this.#running = undefined;
        });
      }
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** One sweep; returns how many leases were reaped. Errors are logged, never thrown. */
  async sweep(): Promise<number> {
    try {
      let total = 0;
      for (;;) {
        const reaped = await this.#jobs.reapExpiredLeases(500);
        total += reaped.length;
        for (const r of reaped) {
          this.#logger.info(
            { tenantId: r.tenantId, jobId: r.jobId, jobType: r.jobType, disposition: r.disposition },
            'lease expired',
          );
        }
        if (reaped.length < 500) {
          if (total > 0) this.#logger.info({ reaped: total }, 'lease reaper sweep done');
          return total;
        }
      }
    } catch (error) {
      this.#logger.error({ err: error }, 'lease reaper sweep failed');
      return 0;
    }
  }

  /** Stops sweeping and waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
