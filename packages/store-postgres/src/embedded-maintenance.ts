import type { Logger } from '@stella-orch/core';
import type { SqlExecutor } from './sql-driver.js';

/** When the embedded database is analyzed and vacuumed. */
export interface EmbeddedMaintenanceOptions {
  /** Between two `ANALYZE`s of the whole database. */
  readonly analyzeIntervalMs: number;
  /** Between two `VACUUM`s of the whole database. */
  readonly vacuumIntervalMs: number;
  /** Jobs inserted since the last `ANALYZE` that bring the next one forward (a second later). */
  readonly analyzeAfterInsertedJobs: number;
}

export const DEFAULT_EMBEDDED_MAINTENANCE: EmbeddedMaintenanceOptions = {
  analyzeIntervalMs: 60_000,
  vacuumIntervalMs: 300_000,
  analyzeAfterInsertedJobs: 1_000,
};

/**
 * The autovacuum PGlite does not have. PostgreSQL's autovacuum daemon keeps the planner's statistics
 * current and clears dead rows from tables and indexes; PGlite runs a single backend without it, so the
 * embedded ledger would plan its queries without statistics forever (the lease grant of a tenant with
 * limits then picks a worse index) and its indexes would keep every dead row version. This runs `ANALYZE`
 * and `VACUUM` on the same schedule idea: periodically, and `ANALYZE` soon after a burst of inserted jobs.
 * Each runs between other statements (PGlite runs one at a time). Not used with a PostgreSQL server.
 */
export class EmbeddedMaintenance {
  readonly #db: SqlExecutor;
  readonly #logger: Logger;
  readonly #options: EmbeddedMaintenanceOptions;
  readonly #timers: NodeJS.Timeout[] = [];
  #soon: NodeJS.Timeout | undefined;
  #insertedSinceAnalyze = 0;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    db: SqlExecutor,
    logger: Logger,
    options: EmbeddedMaintenanceOptions = DEFAULT_EMBEDDED_MAINTENANCE,
  ) {
    this.#db = db;
    this.#logger = logger;
    this.#options = options;
  }

  /** Starts the periodic runs. */
  start(): void {
    const every = (ms: number, task: () => Promise<void>) => {
      const timer = setInterval(() => void this.#run(task), ms);
      timer.unref();
      this.#timers.push(timer);
    };
    every(this.#options.analyzeIntervalMs, () => this.analyze());
    every(this.#options.vacuumIntervalMs, () => this.vacuum());
  }

  /** Counts jobs inserted; enough of them bring the next `ANALYZE` forward. */
  noteInsertedJobs(count: number): void {
    this.#insertedSinceAnalyze += count;
    if (this.#insertedSinceAnalyze < this.#options.analyzeAfterInsertedJobs || this.#soon !== undefined)
      return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      void this.#run(() => this.analyze());
    }, 1_000);
    this.#soon.unref();
  }

  /** Refreshes the planner's statistics of every table. */
  async analyze(): Promise<void> {
    this.#insertedSinceAnalyze = 0;
    await this.#db.exec('ANALYZE');
  }

  /** Clears dead row versions from every table and index (and refreshes the visibility map). */
  async vacuum(): Promise<void> {
    await this.#db.exec('VACUUM');
  }

  /** Stops the runs and waits for one in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
    clearTimeout(this.#soon);
    await this.#running;
  }

  /** One run at a time; a failure is logged, never thrown (the next run tries again). */
  #run(task: () => Promise<void>): Promise<void> {
    this.#running = this.#running.then(async () => {
      if (this.#stopped) return;
      try {
        await task();
      } catch (error) {
        this.#logger.warn({ err: error }, 'embedded database maintenance failed');
      }
    });
    return this.#running;
  }
}
