import { matchesEventFilter, type EventFilter, type EventLog, type EventPosition } from '@stella-orch/core';
import { RingEntry } from './event-ring.js';
import type { EventSink, ResyncReason } from './event-sink.js';
import type { TenantEventFeed } from './tenant-event-feed.js';

/** How a subscription paces itself. */
export interface EventSubscriptionOptions {
  readonly readBatchSize: number;
  readonly heartbeatIntervalMs: number;
  readonly maxBufferedBytes: number;
  readonly slowConsumerGraceMs: number;
}

/** How often a stream above its buffer bound looks whether its socket drained. */
const DRAIN_POLL_MS = 20;

/**
 * One subscriber's stream: from its position it reads the tenant's log (while it is behind the feed's
 * ring) or the ring, filters, and writes to its sink, in log order, each event once. It writes only while
 * its socket holds at most `maxBufferedBytes` unsent (so at most that and one batch are ever buffered for
 * it); a socket that stays above the bound for `slowConsumerGraceMs` is cut off with a `resync` message
 * naming the position of the last event written, the one to resume after. A slow subscriber that is not
 * cut off falls behind the ring and reads on from the log: the feed never waits for it.
 */
export class EventSubscription {
  readonly #log: EventLog;
  readonly #feed: TenantEventFeed;
  readonly #sink: EventSink;
  readonly #filter: EventFilter;
  readonly #options: EventSubscriptionOptions;
  #position: EventPosition;
  #stopped: ResyncReason | null = null;
  #wake = Promise.withResolvers<undefined>();

  /**
   * @param deps - the log, the tenant's (ready) feed and the sink
   * @param start - the position to stream after; `null` for the feed's end (new events only)
   */
  constructor(
    deps: { readonly log: EventLog; readonly feed: TenantEventFeed; readonly sink: EventSink },
    start: { readonly after: EventPosition | null; readonly filter: EventFilter },
    options: EventSubscriptionOptions,
  ) {
    this.#log = deps.log;
    this.#feed = deps.feed;
    this.#sink = deps.sink;
    this.#filter = start.filter;
    this.#options = options;
    this.#position = start.after ?? deps.feed.ring.coverTo;
    this.#sink.onClose(() => {
      this.#wake.resolve(undefined);
    });
  }

  /** The position of the last event written (or the start). */
  get position(): EventPosition {
    return this.#position;
  }

  /** Streams until the peer leaves, the subscriber is cut off or {@link stop} is called. */
  async run(): Promise<void> {
    const sink = this.#sink;
    const heartbeat = setInterval(() => {
      sink.heartbeat();
    }, this.#options.heartbeatIntervalMs);
    heartbeat.unref();
    try {
      sink.subscribed(this.#position);
      while (!sink.closed) {
        if (this.#stopped !== null) {
          sink.resync(this.#position, this.#stopped);
          return;
        }
        if (sink.bufferedBytes > this.#options.maxBufferedBytes) {
          if (!(await this.#drained())) {
            sink.resync(this.#position, 'slow_consumer');
            return;
          }
          continue;
        }
        const changed = this.#feed.changed();
        if (!(await this.#step())) await Promise.race([changed, this.#wake.promise]);
      }
    } finally {
      clearInterval(heartbeat);
      if (!sink.closed) sink.end();
    }
  }

  /** Writes the next batch; `false` when there was nothing new. */
  async #step(): Promise<boolean> {
    const limit = this.#options.readBatchSize;
    const ring = this.#feed.ring;
    const fromRing = ring.after(this.#position, limit);
    if (fromRing !== null) {
      if (fromRing.entries.length === 0) return false;
      const matching = fromRing.entries.filter((entry) => matchesEventFilter(entry.event, this.#filter));
      if (matching.length === fromRing.entries.length) this.#sink.send(matching, fromRing);
      else this.#write(matching);
      this.#position = fromRing.position;
      return true;
    }
    // Behind the ring: catch up from the log (filtered there).
    const batch = await this.#log.readEvents({
      tenantId: this.#feed.tenantId,
      after: this.#position,
      filter: this.#filter,
      limit,
    });
    if (this.#sink.closed) return true;
    this.#write(batch.events.map((item) => new RingEntry(item)));
    const moved = batch.position !== this.#position;
    this.#position = batch.position;
    // Nothing left to read yet the ring starts later: what lies between was removed by retention.
    if (!moved && !batch.more) this.#position = ring.coverFrom;
    return true;
  }

  /** Waits for the socket to drain below the bound: `false` when it did not within the grace period. */
  async #drained(): Promise<boolean> {
    const deadline = Date.now() + this.#options.slowConsumerGraceMs;
    const sink = this.#sink;
    while (sink.bufferedBytes > this.#options.maxBufferedBytes) {
      if (sink.closed || this.#stopped !== null) return true;
      if (Date.now() >= deadline) return false;
      await Promise.race([new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS)), this.#wake.promise]);
    }
    return true;
  }

  #write(entries: readonly RingEntry[]): void {
    if (entries.length > 0) this.#sink.send(entries);
  }

  /** Ends the stream with a `resync` message (`shutdown`). */
  stop(reason: ResyncReason = 'shutdown'): void {
    this.#stopped = reason;
    this.#wake.resolve(undefined);
  }
}
