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
 * doubles the wait up to `pollIntervalMs`. A wake-up (new work submitted, in this process or through the
 * ledger's notifications) cuts the wait short, but never to less than `minPollIntervalMs` after the
 * previous read: a busy ledger wakes the feed at every grant and completion, and reading each time
 * would cost a read of the log and a write to every subscriber for a handful of events.
 */
export class TenantEventFeed {
  readonly tenantId: string;
  readonly #log: EventLog;
  readonly #logger: Logger;
  readonly #options: TenantEventFeedOptions;
  #ring: EventRing | undefined;
  #stopped = false;
  #changed = Promise.withResolvers<undefined>();
  /** Cuts the current wait short (to `minPollIntervalMs` after the last read). */
  #wake: (() => void) | undefined;
  /** Ends the current wait at once. */
  #interrupt: (() => void) | undefined;
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

  /**
   * Reads the log soon instead of at the next tick (new events may have committed): at once, or
   * `minPollIntervalMs` after the previous read if that is later.
   */
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
      if (!more && !this.#stopped) await this.#sleep(wait, minPollIntervalMs);
    }
  }

  #notify(): void {
    const previous = this.#changed;
    this.#changed = Promise.withResolvers<undefined>();
    previous.resolve(undefined);
  }

  /**
   * Waits `ms`; a wake-up (before or during the wait) shortens it to `least`, {@link stop} ends it.
   */
  #sleep(ms: number, least: number): Promise<void> {
    const start = performance.now();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        this.#interrupt = undefined;
        resolve();
      };
      const until = (wait: number): void => {
        clearTimeout(timer);
        timer = setTimeout(done, Math.max(0, start + wait - performance.now()));
      };
      this.#wake = () => {
        until(Math.min(ms, least));
      };
      this.#interrupt = done;
      until(this.#woken ? Math.min(ms, least) : ms);
    });
  }

  /** Stops polling and releases every subscriber waiting on {@link changed}. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#interrupt?.();
    this.#notify();
    await this.#loop;
  }
}
