import type { LimitHold, Logger } from '@stella-orch/core';
import type { JobsReadyNotifier } from './jobs-ready-notifier.js';
import type { EmbeddedMaintenance } from './embedded-maintenance.js';
import type { LeasePathHints } from './lease-path-hints.js';
import type { SqlDriver } from './sql-driver.js';

/** What every tenant handle of one store shares. */
export interface LedgerContext {
  readonly driver: SqlDriver;
  readonly notifier: JobsReadyNotifier;
  readonly logger: Logger;
  /** Which lease statement each tenant needed at its last lease call (a path hint, see `LeasePathHints`). */
  readonly leasePaths: LeasePathHints;
  /** The embedded database's ANALYZE and VACUUM (PGlite only; `null` with a PostgreSQL server). */
  readonly maintenance: EmbeddedMaintenance | null;
  /** Who hears of the limits that held back ready work at this process's lease grants (metrics). */
  readonly limitHoldListeners: Set<(tenantId: string, holds: readonly LimitHold[]) => void>;
}
