import type { EventFilter, EventLog, EventPosition, Logger } from '@stella-orch/core';
import type { EventsConfig } from '../events-config.js';
import type { EventSink } from './event-sink.js';
import { EventSubscription } from './event-subscription.js';
import { TenantEventFeed } from './tenant-event-feed.js';

/** What the hub works with. */
export interface EventHubDeps {
  readonly log: EventLog;
  readonly logger: Logger;
  /**
   * Subscribes to the ledger's "new work for tenant T" wake-ups (the lease waiter's, from this process
   * and, through LISTEN, from others): a feed reads at once instead of at its next tick.
   */
  readonly onWake?: (listener: (tenantId: string) => void) => () => void;
}

/** One stream's request: whose log, from where, which events, and where to. */
export interface StreamRequest {
  readonly tenantId: string;
  /** Stream the events after this position; `null` for new events only. */
  readonly after: EventPosition | null;
  readonly filter: EventFilter;
  readonly sink: EventSink;
}

/**
 * The live event streams of this process: one {@link TenantEventFeed} per tenant with subscribers (made
 * on the first, stopped with the last), and one {@link EventSubscription} per stream.
 */
export class EventHub {
  readonly #deps: EventHubDeps;
  readonly #config: EventsConfig;
  readonly #feeds = new Map<string, { feed: TenantEventFeed; users: number }>();
  readonly #subscriptions = new Map<EventSubscription, Promise<void>>();
  readonly #unsubscribe: () => void;
  #closed = false;

  /** @param deps - the log, a logger and the wake-ups; @param config - the `events` configuration */
  constructor(deps: EventHubDeps, config: EventsConfig) {
    this.#deps = deps;
    this.#config = config;
    this.#unsubscribe =
      deps.onWake?.((tenantId) => {
        this.#feeds.get(tenantId)?.feed.wake();
      }) ?? (() => undefined);
  }

  /** Streams in progress. */
  get subscribers(): number {
    return this.#subscriptions.size;
  }

  /**
   * Streams the tenant's events to `sink` until the peer leaves, is cut off, or the hub closes (then with a
   * `resync` of reason `shutdown`). Rejects only when the log cannot be read at the start.
   */
  async stream(request: StreamRequest): Promise<void> {
    if (this.#closed) {
      request.sink.resync(
        request.after ?? (await this.#deps.log.getLatestPosition(request.tenantId)),
        'shutdown',
      );
      return;
    }
    const feed = this.#acquire(request.tenantId);
    try {
      await feed.ready();
      const subscription = new EventSubscription(
        { log: this.#deps.log, feed, sink: request.sink },
        { after: request.after, filter: request.filter },
        {
          readBatchSize: this.#config.readBatchSize,
          heartbeatIntervalMs: this.#config.heartbeatIntervalMs,
          maxBufferedBytes: this.#config.maxBufferedBytes,
          slowConsumerGraceMs: this.#config.slowConsumerGraceMs,
        },
      );
      if (this.#closed) subscription.stop();
      const running = subscription.run();
      this.#subscriptions.set(subscription, running);
      try {
        await running;
      } finally {
        this.#subscriptions.delete(subscription);
      }
    } finally {
      await this.#release(request.tenantId);
    }
  }

  #acquire(tenantId: string): TenantEventFeed {
    let held = this.#feeds.get(tenantId);
    if (held === undefined) {
      const feed = new TenantEventFeed({ log: this.#deps.log, logger: this.#deps.logger }, tenantId, {
        pollIntervalMs: this.#config.pollIntervalMs,
        minPollIntervalMs: Math.min(this.#config.minPollIntervalMs, this.#config.pollIntervalMs),
        readBatchSize: this.#config.readBatchSize,
        bufferEvents: this.#config.feedBufferEvents,
      });
      held = { feed, users: 0 };
      this.#feeds.set(tenantId, held);
    }
    held.users++;
    return held.feed;
  }

  async #release(tenantId: string): Promise<void> {
    const held = this.#feeds.get(tenantId);
    if (held === undefined) return;
    held.users--;
    if (held.users > 0) return;
    this.#feeds.delete(tenantId);
    await held.feed.stop();
  }

  /**
   * Ends every stream with `resync` (`shutdown`), and resolves once each has written it (before the server
   * closes the sockets); the feeds stop as their last subscriber leaves.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    for (const subscription of this.#subscriptions.keys()) subscription.stop();
    await Promise.allSettled(this.#subscriptions.values());
  }
}
