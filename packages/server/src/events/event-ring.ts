import {
  compareEventPositions,
  encodeEventPosition,
  type EventEnvelope,
  type EventPosition,
  type PositionedEvent,
} from '@stella-orch/core';

/** An event held for the subscribers of a feed, with its serialisations made once for all of them. */
export class RingEntry implements PositionedEvent {
  readonly position: EventPosition;
  readonly event: EventEnvelope;
  #token: string | undefined;
  #json: string | undefined;
  #sse: string | undefined;
  #ws: Buffer | undefined;

  /** @param item - an event read from the log */
  constructor(item: PositionedEvent) {
    this.position = item.position;
    this.event = item.event;
  }

  /** The position's opaque token. */
  get token(): string {
    return (this.#token ??= encodeEventPosition(this.position));
  }

  /** The envelope as JSON. */
  get json(): string {
    return (this.#json ??= JSON.stringify(this.event));
  }

  /** The SSE message of the event (`id:` position, `event:` type, `data:` envelope). */
  get sse(): string {
    return (this.#sse ??= `id: ${this.token}\nevent: ${this.event.eventType}\ndata: ${this.json}\n\n`);
  }

  /** The WebSocket message of the event, encoded once for every socket. */
  get ws(): Buffer {
    return (this.#ws ??= Buffer.from(`{"type":"event","position":"${this.token}","event":${this.json}}`));
  }
}

/** A read of the ring: the entries after a position, and the position the read reached. */
export interface RingRead {
  readonly entries: readonly RingEntry[];
  readonly position: EventPosition;
  /**
   * The SSE messages of all the entries, encoded once: subscribers at the same place read the same slice,
   * and write the same bytes.
   */
  sse(): Buffer;
}

/**
 * The most recent events of one tenant's log, in log order, at most `capacity` of them. It covers a
 * contiguous stretch of the log: every event after {@link EventRing.coverFrom} up to
 * {@link EventRing.coverTo} is held, so a reader whose position lies in that stretch reads on from here
 * without a gap; one behind it must read the log.
 */
export class EventRing {
  readonly #capacity: number;
  #entries: RingEntry[] = [];
  #head = 0;
  /** Entries dropped from the front of `#entries` so far: absolute index = `#base` + array index. */
  #base = 0;
  /** Encoded slices of the entries appended last, by absolute range. */
  #slices = new Map<string, Buffer>();
  #coverFrom: EventPosition;
  #coverTo: EventPosition;

  /** @param capacity - entries kept at most; @param start - the log position the ring starts after */
  constructor(capacity: number, start: EventPosition) {
    this.#capacity = Math.max(1, capacity);
    this.#coverFrom = start;
    this.#coverTo = start;
  }

  /** The ring holds every event after this position (up to {@link coverTo}). */
  get coverFrom(): EventPosition {
    return this.#coverFrom;
  }

  /** The last position read from the log. */
  get coverTo(): EventPosition {
    return this.#coverTo;
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /**
   * Appends the next read of the log: `events` (all of them, unfiltered) follow {@link coverTo}, and the
   * read reached `to`. The oldest entries beyond the capacity are dropped, and `coverFrom` moves past them.
   */
  append(events: readonly PositionedEvent[], to: EventPosition): void {
    for (const item of events) this.#entries.push(new RingEntry(item));
    if (events.length > 0) this.#slices = new Map();
    if (compareEventPositions(to, this.#coverTo) > 0) this.#coverTo = to;
    const excess = this.size - this.#capacity;
    if (excess > 0) {
      this.#head += excess;
      const dropped = this.#entries[this.#head - 1];
      if (dropped !== undefined) this.#coverFrom = dropped.position;
      if (this.#head > this.#capacity) {
        this.#entries = this.#entries.slice(this.#head);
        this.#base += this.#head;
        this.#head = 0;
      }
    }
  }

  /**
   * Up to `max` entries after `position`, in log order, and the position after them (`position` itself
   * when there are none); `null` when the ring no longer covers `position` (the reader fell behind it).
   */
  after(position: EventPosition, max: number): RingRead | null {
    if (compareEventPositions(position, this.#coverFrom) < 0) return null;
    let low = this.#head;
    let high = this.#entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const entry = this.#entries[mid];
      if (entry !== undefined && compareEventPositions(entry.position, position) <= 0) low = mid + 1;
      else high = mid;
    }
    const entries = this.#entries.slice(low, low + Math.max(1, max));
    const key = `${this.#base + low}:${entries.length}`;
    const slices = this.#slices;
    return {
      entries,
      position: entries.at(-1)?.position ?? position,
      sse: () => {
        let slice = slices.get(key);
        if (slice === undefined) {
          slice = Buffer.from(entries.map((entry) => entry.sse).join(''));
          slices.set(key, slice);
        }
        return slice;
      },
    };
  }
}
