import type { JobStore, Logger } from '@stella-orch/core';

/** The most breakers one evaluation looks at; the rest wait for the next tick. */
const BREAKERS_PER_EVALUATION = 500;

/**
 * Periodically moves circuit breakers between closed, open and half-open (decision 0016 §7) and logs each
 * transition. Safe to run in every replica: the ledger skips breakers another evaluator holds.
 */
export class CircuitEvaluator {
  readonly #store: JobStore;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  /** @param deps - the ledger and a logger; `intervalMs` between evaluations */
  constructor(deps: { readonly store: JobStore; readonly logger: Logger; readonly intervalMs: number }) {
    this.#store = deps.store;
    this.#logger = deps.logger;
    this.#intervalMs = deps.intervalMs;
  }

  /** Starts evaluating. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.#running ??= this.evaluate().finally(() => {
        this.#running = undefined;
      });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** One evaluation; returns how many breakers changed state. Errors are logged, never thrown. */
  async evaluate(): Promise<number> {
    try {
      const changes = await this.#store.evaluateCircuitBreakers({ limit: BREAKERS_PER_EVALUATION });
      for (const c of changes) {
        this.#logger.warn(
          {
            tenantId: c.tenantId,
            breakerId: c.breakerId,
            sourceId: c.sourceId,
            jobType: c.jobType,
            from: c.from,
            to: c.to,
            openUntil: c.openUntil,
          },
          `circuit breaker ${c.to === 'open' ? 'opened' : c.to === 'closed' ? 'closed' : 'half-open'}: ${c.reason}`,
        );
      }
      return changes.length;
    } catch (error) {
      this.#logger.error({ err: error }, 'circuit breaker evaluation failed');
      return 0;
    }
  }

  /** Stops evaluating and waits for an evaluation in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
