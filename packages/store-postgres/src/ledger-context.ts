import type { Logger } from '@stella-orch/core';
import type { JobsReadyNotifier } from './jobs-ready-notifier.js';
import type { SqlDriver } from './sql-driver.js';

/** What every tenant handle of one store shares. */
export interface LedgerContext {
  readonly driver: SqlDriver;
  readonly notifier: JobsReadyNotifier;
  readonly logger: Logger;
}
