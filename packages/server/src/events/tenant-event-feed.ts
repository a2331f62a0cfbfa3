import type { EventLog, Logger } from '@stella-orch/core';
import { EventRing } from './event-ring.js';

/** How a feed reads the log. */
export interface TenantEventFeedOptions {
  /** The longest wait between two reads (an idle log). */
  readonly pollIntervalMs: number;
  /** The wait after a read that found events (a busy log). */
  readonly minPollIntervalMs: number;
  readonly readBatchSize: number;
  readonly bufferEvents: number;
}

/**
 * The live tail of one tenant's log, shared by every subscriber of the tenant in this process: one reader
 * polls the log, keeps the recent events in an {@link EventRing} and tells the subscribers. The work per
 * tick is one read, whatever the number of subscribers. The polling adapts: a full read is followed by
 * the next at once, one that found events by the next after `minPollIntervalMs`, and each empty read
 * doubles the wait up to `pollIntervalMs`; a wake-up (new work submitted, in this process or through the
 * ledger's notifications) reads at once.
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
    const { minPollIntervalMs, pollIntervalMs } = this.#options;
    let wait = minPollIntervalMs;
    while (!this.#stopped) {
      this.#woken = false;
      let more = false;
      let found = false;
      try {
        const batch = await this.#log.readEvents({
          tenantId: this.tenantId,
          after: ring.coverTo,
          limit: this.#options.readBatchSize,
        });
        more = batch.more;
        found = batch.events.length > 0;
        if (found) {
          ring.append(batch.events, batch.position);
          this.#notify();
        }
      } catch (error) {
        this.#logger.warn({ err: error, tenantId: this.tenantId }, 'the event feed could not read the log');
      }
      wait = found ? minPollIntervalMs : Math.min(pollIntervalMs, wait * 2);
      if (!more && !this.#woken && !this.#stopped) await this.#sleep(wait);
    }
  }

  #notify(): void {
    const previous = this.#changed;
    this.#changed = Promise.withResolvers<undefined>();
    previous.resolve(undefined);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
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
