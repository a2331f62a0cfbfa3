import {
  OrchestratorError,
  silentLogger,
  type JobStore,
  type LeasedJob,
  type Logger,
  type PoolLeaseParams,
  type CircuitStateChange,
  type LimitHold,
  type QueueDepth,
  type ReapedLease,
  type TenantJobStore,
} from '@stella-orch/core';
import { JobsReadyNotifier } from './jobs-ready-notifier.js';
import type { LedgerContext } from './ledger-context.js';
import { requireTenantId, runLedgerOperation } from './ledger-errors.js';
import { LATEST_SCHEMA_VERSION } from './migrator.js';
import { PostgresBackfillStore } from './postgres-backfill-store.js';
import { PostgresCircuitBreakerStore } from './postgres-circuit-breaker-store.js';
import { PostgresQuotaStore } from './postgres-quota-store.js';
import { PostgresThrottleStore } from './postgres-throttle-store.js';
import { PostgresSourceStore } from './postgres-source-store.js';
import { PostgresDeadLetterStore } from './postgres-dead-letter-store.js';
import { PostgresTenantJobStore } from './postgres-tenant-job-store.js';
import { PoolLeaser } from './pool-lease.js';
import { queueDepths } from './queries/queue-depths.js';
import { reapExpiredLeases } from './queries/reap-expired-leases.js';
import { evaluateCircuitBreakers } from './circuit-evaluation.js';
import { LeasePathHints } from './lease-path-hints.js';
import { EmbeddedMaintenance } from './embedded-maintenance.js';
import { settleDependents } from './queries/job-dependencies.js';
import { selectSchemaVersion } from './queries/schema-version.js';
import type { SqlDriver } from './sql-driver.js';

/** Settings of a {@link PostgresJobStore}. */
export interface PostgresJobStoreOptions {
  readonly logger?: Logger;
  /** Whether {@link PostgresJobStore.close} closes the driver too (set by `openLedger`). */
  readonly ownsDriver?: boolean;
}

/**
 * The job ledger on PostgreSQL or PGlite (same SQL): the {@link JobStore} port. The hot paths — create,
 * lease, heartbeat, complete — are one statement each (create: one short transaction), with their history
 * rows and outbox events written in the same statement.
 */
export class PostgresJobStore implements JobStore {
  readonly #ctx: LedgerContext;
  readonly #ownsDriver: boolean;
  #closed = false;
  /** The source registry on the same ledger (its releases of held jobs wake this store's listeners). */
  readonly sources: PostgresSourceStore;
  /** Pool workers' leases across tenants, with this process's fairness cursor. */
  readonly #pool: PoolLeaser;

  /**
   * @param driver - a migrated database (see `migrate` / `openLedger`)
   * @param options - logger, and whether closing the store closes the driver
   */
  constructor(driver: SqlDriver, options: PostgresJobStoreOptions = {}) {
    const logger = (options.logger ?? silentLogger).child({ component: 'postgres-job-store' });
    this.#ctx = {
      driver,
      logger,
      notifier: new JobsReadyNotifier(driver, logger),
      leasePaths: new LeasePathHints(),
      limitHoldListeners: new Set(),
      maintenance: driver.capabilities.engine === 'pglite' ? new EmbeddedMaintenance(driver, logger) : null,
    };
    this.#ctx.maintenance?.start();
    this.sources = new PostgresSourceStore(this.#ctx);
    this.#pool = new PoolLeaser({
      db: driver,
      forTenant: (tenantId) => this.forTenant(tenantId),
      logger,
    });
    this.#ownsDriver = options.ownsDriver ?? false;
  }

  /** The database this store writes to. */
  get driver(): SqlDriver {
    return this.#ctx.driver;
  }

  /** The dead-letter operations on this store's ledger, waking this store's listeners after replays. */
  get deadLetters(): PostgresDeadLetterStore {
    return new PostgresDeadLetterStore(this.#ctx);
  }

  /** The backfills and watermarks on this store's ledger, waking this store's listeners for new jobs. */
  get backfills(): PostgresBackfillStore {
    return new PostgresBackfillStore(this.#ctx);
  }

  /** The quotas on this store's ledger, waking this store's listeners when a change lets work through. */
  get quotas(): PostgresQuotaStore {
    return new PostgresQuotaStore(this.#ctx);
  }

  /** The throttles on this store's ledger, waking this store's listeners when one is revoked. */
  get throttles(): PostgresThrottleStore {
    return new PostgresThrottleStore(this.#ctx);
  }

  /** The circuit breakers on this store's ledger, waking this store's listeners when a change lets work through. */
  get circuitBreakers(): PostgresCircuitBreakerStore {
    return new PostgresCircuitBreakerStore(this.#ctx);
  }

  /**
   * The operations of one tenant.
   * @throws OrchestratorError `VALIDATION_FAILED` for an empty tenant id
   */
  forTenant(tenantId: string): TenantJobStore {
    requireTenantId(tenantId);
    return new PostgresTenantJobStore(this.#ctx, tenantId);
  }

  /** @inheritdoc */
  leaseAcrossTenants(params: PoolLeaseParams): Promise<LeasedJob[]> {
    return this.#pool.lease(params);
  }

  /** @inheritdoc */
  async reapExpiredLeases(params: {
    readonly limit: number;
    readonly retryDelaysMs: readonly number[];
  }): Promise<ReapedLease[]> {
    if (params.limit < 1) return [];
    // One transaction: an attempt that ends the job failed or canceled cancels its waiting descendants
    // with it (a reaped job never succeeds, so nothing is released).
    const rows = await runLedgerOperation(() =>
      this.#ctx.driver.transaction(async (tx) => {
        const reaped = await reapExpiredLeases(tx, {
          limit: Math.floor(params.limit),
          retryDelaysMs: params.retryDelaysMs.map((ms) => Math.max(0, Math.round(ms))),
        });
        const failedByTenant = new Map<string, string[]>();
        for (const row of reaped) {
          if (!row.has_dependents || row.disposition === 'retry_scheduled') continue;
          failedByTenant.set(row.tenant_id, [...(failedByTenant.get(row.tenant_id) ?? []), row.job_id]);
        }
        for (const [tenantId, failed] of failedByTenant) {
          await settleDependents(tx, tenantId, { succeeded: [], failed }, null);
        }
        return reaped;
      }),
    );
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      jobId: row.job_id,
      jobType: row.job_type,
      disposition: row.disposition,
    }));
  }

  /** @inheritdoc */
  evaluateCircuitBreakers(params: { readonly limit: number }): Promise<CircuitStateChange[]> {
    return evaluateCircuitBreakers(this.#ctx.driver, Math.max(1, Math.floor(params.limit)));
  }

  /** @inheritdoc */
  async queueDepths(): Promise<QueueDepth[]> {
    const rows = await runLedgerOperation(() => queueDepths(this.#ctx.driver));
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      jobType: row.job_type,
      state: row.state,
      count: row.count,
      oldestAgeSeconds: row.oldest_age_seconds,
    }));
  }

  /** @inheritdoc */
  onLimitHolds(listener: (tenantId: string, holds: readonly LimitHold[]) => void): () => void {
    const listeners = this.#ctx.limitHoldListeners;
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  /** @inheritdoc */
  onJobsReady(listener: (tenantId: string) => void): () => void {
    return this.#ctx.notifier.subscribe(listener);
  }

  /** @inheritdoc */
  async checkReady(): Promise<void> {
    let version: number;
    try {
      version = await selectSchemaVersion(this.#ctx.driver);
    } catch (error) {
      throw new OrchestratorError('STORE_UNAVAILABLE', 'the job ledger does not answer or has no schema', {
        cause: error,
      });
    }
    if (version !== LATEST_SCHEMA_VERSION) {
      throw new OrchestratorError(
        'STORE_UNAVAILABLE',
        `the ledger schema is at version ${version}, this code needs ${LATEST_SCHEMA_VERSION}`,
        { details: { databaseVersion: version, knownVersion: LATEST_SCHEMA_VERSION } },
      );
    }
  }

  /** Stops listening for wake-ups and, when it owns the driver, closes it. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ctx.maintenance?.stop();
    await this.#ctx.notifier.close();
    if (this.#ownsDriver) await this.#ctx.driver.close();
  }
}
