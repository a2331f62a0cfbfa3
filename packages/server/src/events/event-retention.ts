import type { Clock, EventLog, Logger } from '@stella-orch/core';
import { PeriodicTask } from '../audit/periodic-task.js';

/** What retention works with. */
export interface EventRetentionDeps {
  readonly log: EventLog;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The policy: events older than `retentionHours` go, `pruneBatchSize` a statement. */
export interface EventRetentionPolicy {
  readonly retentionHours: number;
  readonly pruneBatchSize: number;
  readonly pruneIntervalMs: number;
}

/**
 * Removes events older than the retention period, every `pruneIntervalMs`, tenant by tenant from the start
 * of each log, in statements of `pruneBatchSize` events (so no statement holds locks for long). Safe in
 * every replica: two replicas pruning together remove each event once.
 */
export class EventRetention {
  readonly #deps: EventRetentionDeps;
  readonly #policy: EventRetentionPolicy;
  readonly #task: PeriodicTask;

  /** @param deps - the log, a clock and a logger; @param policy - the `events` configuration */
  constructor(deps: EventRetentionDeps, policy: EventRetentionPolicy) {
    this.#deps = deps;
    this.#policy = policy;
    this.#task = new PeriodicTask(() => this.sweep(), policy.pruneIntervalMs);
  }

  /** Starts pruning periodically. */
  start(): void {
    this.#task.start();
  }

  /**
   * One pass over every tenant; a tenant that fails is logged and the others go on. Never throws.
   * @returns how many events were removed
   */
  async sweep(): Promise<number> {
    const { log, clock, logger } = this.#deps;
    const olderThan = new Date(clock.nowMs() - this.#policy.retentionHours * 3_600_000).toISOString();
    let tenants: string[];
    try {
      tenants = await log.listEventTenants();
    } catch (error) {
      logger.error({ err: error }, 'event retention could not list tenants');
      return 0;
    }
    let removed = 0;
    for (const tenantId of tenants) {
      try {
        let pruned: number;
        let tenantRemoved = 0;
        do {
          pruned = await log.pruneEvents({ tenantId, olderThan, limit: this.#policy.pruneBatchSize });
          tenantRemoved += pruned;
        } while (pruned === this.#policy.pruneBatchSize);
        if (tenantRemoved > 0)
          logger.info({ tenantId, removed: tenantRemoved, olderThan }, 'old events pruned');
        removed += tenantRemoved;
      } catch (error) {
        logger.error({ err: error, tenantId }, 'event retention failed');
      }
    }
    return removed;
  }

  /** Stops pruning and waits for a pass in progress. */
  async stop(): Promise<void> {
    await this.#task.stop();
  }
}
