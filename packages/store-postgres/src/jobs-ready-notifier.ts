import { randomUUID } from 'node:crypto';
import type { Logger } from '@stella-orch/core';
import type { SqlDriver } from './sql-driver.js';

/** The NOTIFY channel announcing that a tenant may have eligible jobs. */
export const JOBS_READY_CHANNEL = 'orch_jobs_ready';

/** The payload of a {@link JOBS_READY_CHANNEL} notification. */
interface JobsReadyMessage {
  readonly tenantId: string;
  /** The store instance that sent it: it told its own listeners directly and skips its own echo. */
  readonly origin: string;
}

function parseMessage(payload: string): JobsReadyMessage | null {
  try {
    const value: unknown = JSON.parse(payload);
    if (typeof value !== 'object' || value === null) return null;
    const { tenantId, origin } = value as Record<string, unknown>;
    return typeof tenantId === 'string' && typeof origin === 'string' ? { tenantId, origin } : null;
  } catch {
    return null;
  }
}

/**
 * Wake-ups for `onJobsReady`: listeners in this process are called right after a commit; other processes
 * sharing the database hear the NOTIFY sent inside the committing transaction. LISTEN is only kept where
 * the engine can be shared (`capabilities.sharedAcrossProcesses`).
 */
export class JobsReadyNotifier {
  readonly #driver: SqlDriver;
  readonly #logger: Logger;
  /** The NOTIFY channel. */
  readonly channel = JOBS_READY_CHANNEL;
  readonly #origin = randomUUID();
  readonly #listeners = new Set<(tenantId: string) => void>();
  #unlisten: Promise<(() => Promise<void>) | null> | null = null;

  /** @param driver - the database; @param logger - where listener and LISTEN failures go */
  constructor(driver: SqlDriver, logger: Logger) {
    this.#driver = driver;
    this.#logger = logger;
  }

  /** The NOTIFY payload announcing ready work of `tenantId`. */
  payload(tenantId: string): string {
    return JSON.stringify({ tenantId, origin: this.#origin } satisfies JobsReadyMessage);
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: (tenantId: string) => void): () => void {
    this.#listeners.add(listener);
    if (this.#unlisten === null && this.#driver.capabilities.sharedAcrossProcesses) {
      this.#unlisten = this.#driver
        .listen(JOBS_READY_CHANNEL, (payload) => {
          this.#onNotification(payload);
        })
        .catch((error: unknown) => {
          // Without LISTEN, wake-ups from other processes are missed; pollers still find the work.
          this.#logger.warn({ err: String(error) }, 'cannot LISTEN for ready jobs of other processes');
          this.#unlisten = null;
          return null;
        });
    }
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Tells this process's listeners that `tenantId` may have eligible jobs (call after the commit). */
  announce(tenantId: string): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(tenantId);
      } catch (error) {
        this.#logger.error({ err: String(error), tenantId }, 'a jobs-ready listener threw');
      }
    }
  }

  #onNotification(payload: string): void {
    const message = parseMessage(payload);
    if (message === null) {
      this.#logger.warn({ payload }, 'ignored a malformed jobs-ready notification');
      return;
    }
    if (message.origin !== this.#origin) this.announce(message.tenantId);
  }

  /** Stops listening. */
  async close(): Promise<void> {
    this.#listeners.clear();
    const unlisten = await this.#unlisten;
    this.#unlisten = null;
    if (unlisten !== null && unlisten !== undefined) await unlisten();
  }
}
