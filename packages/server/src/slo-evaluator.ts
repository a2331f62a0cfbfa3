import type { Logger, SloEvaluation, SloService } from '@stella-orch/core';
import { PeriodicTask } from './audit/periodic-task.js';

/**
 * Evaluates every SLO of every tenant every `intervalMs` (`slo.evaluationIntervalMs`): burn rates, the
 * gauges, and incidents opened and resolved. Safe in every replica at once (the ledger keeps one open
 * incident per SLO; a replica that loses a race writes nothing). {@link SloEvaluator.evaluateNow} runs one
 * pass at once, for tests and tools.
 */
export class SloEvaluator {
  readonly #slos: SloService;
  readonly #logger: Logger;
  readonly #task: PeriodicTask;

  /** @param deps - the SLO service and a logger; @param intervalMs - between the starts of two passes */
  constructor(deps: { readonly slos: SloService; readonly logger: Logger }, intervalMs: number) {
    this.#slos = deps.slos;
    this.#logger = deps.logger;
    this.#task = new PeriodicTask(() => this.evaluateNow(), intervalMs);
  }

  /** Starts evaluating periodically. */
  start(): void {
    this.#task.start();
  }

  /** One pass over every SLO now. Never throws. */
  async evaluateNow(): Promise<SloEvaluation[]> {
    try {
      return await this.#slos.evaluateAll();
    } catch (error) {
      this.#logger.error({ err: error }, 'SLO evaluation failed');
      return [];
    }
  }

  /** Stops evaluating and waits for a pass in progress. */
  async stop(): Promise<void> {
    await this.#task.stop();
  }
}
