import type { AuditService, Logger } from '@stella-orch/core';
import { PeriodicTask } from './periodic-task.js';

/** What the checkpointer works with. */
export interface AuditCheckpointerDeps {
  readonly audit: AuditService;
  /** Every tenant that has a chain (a head row), in any order. */
  readonly listAuditTenants: () => Promise<string[]>;
  readonly logger: Logger;
  /** Between two sweeps. */
  readonly intervalMs: number;
}

/**
 * Periodically signs a checkpoint of every tenant whose head moved since its latest checkpoint (see
 * `AuditService.checkpointTenant`). Safe to run in every replica: two replicas signing the same head keep
 * one checkpoint (the ledger keeps the first of a sequence); it only costs a signature.
 */
export class AuditCheckpointer {
  readonly #deps: AuditCheckpointerDeps;
  readonly #task: PeriodicTask;

  /** @param deps - the audit service, the tenant lister, a logger and the interval */
  constructor(deps: AuditCheckpointerDeps) {
    this.#deps = deps;
    this.#task = new PeriodicTask(() => this.sweep(), deps.intervalMs);
  }

  /** Starts sweeping. */
  start(): void {
    this.#task.start();
  }

  /**
   * One sweep over every tenant; a tenant that fails is logged and the others go on. Never throws.
   * @returns how many checkpoints were signed
   */
  async sweep(): Promise<number> {
    const { audit, logger } = this.#deps;
    let tenants: string[];
    try {
      tenants = await this.#deps.listAuditTenants();
    } catch (error) {
      logger.error({ err: error }, 'audit checkpointer could not list tenants');
      return 0;
    }
    let signed = 0;
    for (const tenantId of tenants) {
      try {
        const checkpoint = await audit.checkpointTenant(tenantId);
        if (checkpoint === null) continue;
        signed++;
        logger.info(
          { tenantId, sequence: checkpoint.sequence, keyId: checkpoint.keyId },
          'audit checkpoint signed',
        );
      } catch (error) {
        logger.error({ err: error, tenantId }, 'audit checkpoint failed');
      }
    }
    return signed;
  }

  /** Stops sweeping and waits for a sweep in progress. */
  async stop(): Promise<void> {
    await this.#task.stop();
  }
}
