import {
  compareEventPositions,
  matchesEventFilter,
  START_POSITION,
  type EventEnvelope,
  type EventFilter,
  type EventLog,
  type EventPosition,
} from '@stella-orch/core';
import { EventChunk, type EventRun } from './event-chunk.js';
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
  /** Whether the filter lets every event through (nothing to look at per event). */
  readonly #everything: boolean;
  readonly #options: EventSubscriptionOptions;
  #position: EventPosition;
  /** The position asked for, to check against the log kept (`null`: the end of the log). */
  readonly #requested: EventPosition | null;
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
    this.#everything = Object.values(start.filter).every((criterion) => criterion === undefined);
    this.#options = options;
    this.#position = start.after ?? deps.feed.ring.coverTo;
    this.#requested = start.after;
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
      await this.#checkRequested();
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
      if (fromRing.count === 0) return false;
      this.#write(this.#everything ? fromRing.runs : this.#matching(fromRing.runs));
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
    const chunk = new EventChunk(batch.events);
    this.#write([{ chunk, from: 0, to: chunk.size }]);
    const moved = batch.position !== this.#position;
    this.#position = batch.position;
    // Nothing left to read yet the ring starts later: what lies between was removed by retention.
    if (!moved && !batch.more && compareEventPositions(this.#position, ring.coverFrom) < 0) {
      const first = ring.after(ring.coverFrom, 1)?.runs[0];
      const oldest = first?.chunk.positions[first.from];
      if (oldest !== undefined) this.#sink.positionExpired(this.#position, oldest);
      this.#position = ring.coverFrom;
    }
    return true;
  }

  /**
   * Tells a subscriber that asked for a position older than the log kept (retention removed the events
   * after it) with a `resync` of reason `position_expired` naming the oldest event kept, before the
   * stream goes on from there.
   */
  async #checkRequested(): Promise<void> {
    const requested = this.#requested;
    if (requested === null || compareEventPositions(requested, START_POSITION) === 0) return;
    const oldest = await this.#log.getOldestPosition(this.#feed.tenantId);
    if (oldest !== null && compareEventPositions(requested, oldest) < 0 && !this.#sink.closed) {
      this.#sink.positionExpired(requested, oldest);
    }
  }

  /** The parts of `runs` whose events pass the filter, as runs of consecutive events. */
  #matching(runs: readonly EventRun[]): EventRun[] {
    const matching: EventRun[] = [];
    for (const { chunk, from, to } of runs) {
      let start = -1;
      for (let i = from; i < to; i++) {
        const passes = matchesEventFilter(chunk.events[i] as EventEnvelope, this.#filter);
        if (passes && start < 0) start = i;
        else if (!passes && start >= 0) {
          matching.push({ chunk, from: start, to: i });
          start = -1;
        }
      }
      if (start >= 0) matching.push({ chunk, from: start, to });
    }
    return matching;
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

  #write(runs: readonly EventRun[]): void {
    if (runs.some((run) => run.to > run.from)) this.#sink.send(runs);
  }

  /** Ends the stream with a `resync` message (`shutdown`). */
  stop(reason: ResyncReason = 'shutdown'): void {
    this.#stopped = reason;
    this.#wake.resolve(undefined);
  }
}
