import type { EventLog, Logger } from '@stella-orch/core';
import { EventRing } from './event-ring.js';

/** How a feed reads the log. */
export interface TenantEventFeedOptions {
  readonly pollIntervalMs: number;
  readonly readBatchSize: number;
  readonly bufferEvents: number;
}

/**
 * The live tail of one tenant's log, shared by every subscriber of the tenant in this process: one reader
 * polls the log (at once when woken, else every `pollIntervalMs`), keeps the recent events in an
 * {@link EventRing} and tells the subscribers. The work per tick is one read, whatever the number of
 * subscribers.
 */
export class TenantEventFeed {
  readonly tenantId: string;
  readonly #log: EventLog;
  readonly #logger: Logger;
  readonly #options: TenantEventFeedOptions;
  #ring: EventRing | undefined;
  #stopped = false;
  #changed = Promise.withResolvers<undefined>();
  #wake: (() => void) | undefined;
  #woken = false;
  #loop: Promise<void> | undefined;
  #ready: Promise<void> | undefined;

  /** @param deps - the log and a logger; @param tenantId - whose log; @param options - see the type */
  constructor(
    deps: { readonly log: EventLog; readonly logger: Logger },
    tenantId: string,
    options: TenantEventFeedOptions,
  ) {
    this.tenantId = tenantId;
    this.#log = deps.log;
    this.#logger = deps.logger;
    this.#options = options;
  }

  /** Resolves once the feed knows where the log ends (it starts there); rejects when that read fails. */
  ready(): Promise<void> {
    this.#ready ??= (async () => {
      const latest = await this.#log.getLatestPosition(this.tenantId);
      this.#ring = new EventRing(this.#options.bufferEvents, latest);
      this.#loop = this.#run();
    })();
    return this.#ready;
  }

  /** The recent events (after {@link ready}). */
  get ring(): EventRing {
    if (this.#ring === undefined) throw new Error('the feed is not ready');
    return this.#ring;
  }

  /** Resolves when the next read of the log appended something, or the feed stopped. */
  changed(): Promise<undefined> {
    return this.#changed.promise;
  }

  /** Reads the log now instead of at the next tick (new events may have committed). */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Whether {@link stop} was called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  async #run(): Promise<void> {
    const ring = this.ring;
    while (!this.#stopped) {
      this.#woken = false;
      let more = false;
      try {
        const batch = await this.#log.readEvents({
          tenantId: this.tenantId,
          after: ring.coverTo,
          limit: this.#options.readBatchSize,
        });
        more = batch.more;
        if (batch.events.length > 0) {
          ring.append(batch.events, batch.position);
          this.#notify();
        }
      } catch (error) {
        this.#logger.warn({ err: error, tenantId: this.tenantId }, 'the event feed could not read the log');
      }
      if (!more && !this.#woken && !this.#stopped) await this.#sleep();
    }
  }

  #notify(): void {
    const previous = this.#changed;
    this.#changed = Promise.withResolvers<undefined>();
    previous.resolve(undefined);
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.#options.pollIntervalMs);
      this.#wake = done;
    });
  }

  /** Stops polling and releases every subscriber waiting on {@link changed}. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    this.#notify();
    await this.#loop;
  }
}
