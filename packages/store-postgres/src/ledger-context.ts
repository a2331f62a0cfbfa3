import type { LimitHold, Logger } from '@stella-orch/core';
import type { JobsReadyNotifier } from './jobs-ready-notifier.js';
import type { EmbeddedMaintenance } from './embedded-maintenance.js';
import type { LimitHints } from './limit-hints.js';
import type { SqlDriver } from './sql-driver.js';

/** What every tenant handle of one store shares. */
export interface LedgerContext {
  readonly driver: SqlDriver;
  readonly notifier: JobsReadyNotifier;
  readonly logger: Logger;
  /** Which tenants had limits at their last lease call (a path hint, see `LimitHints`). */
  readonly limitHints: LimitHints;
  /** The embedded database's ANALYZE and VACUUM (PGlite only; `null` with a PostgreSQL server). */
  readonly maintenance: EmbeddedMaintenance | null;
  /** Who hears of the limits that held back ready work at this process's lease grants (metrics). */
  readonly limitHoldListeners: Set<(tenantId: string, holds: readonly LimitHold[]) => void>;
}
