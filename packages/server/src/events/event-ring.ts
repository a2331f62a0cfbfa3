import { compareEventPositions, type EventPosition, type PositionedEvent } from '@stella-orch/core';
import { EventChunk, type EventRun } from './event-chunk.js';

/** A read of the ring: the events after a position as runs of the chunks that hold them, and where it ended. */
export interface RingRead {
  /** In log order; their bytes are shared by every reader (see {@link EventChunk}). */
  readonly runs: readonly EventRun[];
  /** Events in `runs`. */
  readonly count: number;
  /** The position of the last event read (the position asked for when there is none). */
  readonly position: EventPosition;
}

/**
 * The most recent events of one tenant's log, in log order, at most `capacity` of them, held as the
 * {@link EventChunk}s they were read in (each serialised once for every subscriber). It covers a
 * contiguous stretch of the log: every event after {@link EventRing.coverFrom} up to
 * {@link EventRing.coverTo} is held, so a reader whose position lies in that stretch reads on from here
 * without a gap; one behind it must read the log.
 */
export class EventRing {
  readonly #capacity: number;
  #chunks: EventChunk[] = [];
  /** Index in `#chunks` of the oldest chunk held. */
  #head = 0;
  /** Events of the oldest chunk already dropped. */
  #skip = 0;
  #size = 0;
  #coverFrom: EventPosition;
  #coverTo: EventPosition;

  /** @param capacity - events kept at most; @param start - the log position the ring starts after */
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

  /** Events held now. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends the next read of the log: `events` (all of them, unfiltered) follow {@link coverTo}, and the
   * read reached `to`. The oldest events beyond the capacity are dropped, and `coverFrom` moves past them.
   */
  append(events: readonly PositionedEvent[], to: EventPosition): void {
    if (events.length > 0) {
      this.#chunks.push(new EventChunk(events));
      this.#size += events.length;
    }
    if (compareEventPositions(to, this.#coverTo) > 0) this.#coverTo = to;
    while (this.#size > this.#capacity) {
      const front = this.#chunks[this.#head] as EventChunk;
      const excess = this.#size - this.#capacity;
      const left = front.size - this.#skip;
      const dropped = Math.min(excess, left);
      this.#skip += dropped;
      this.#size -= dropped;
      this.#coverFrom = front.positions[this.#skip - 1] as EventPosition;
      if (this.#skip === front.size) {
        this.#head++;
        this.#skip = 0;
      }
    }
    if (this.#head > 64) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * The events after `position`, in log order, to the end of the first chunk that reaches `max` of them,
   * and the position after them (`position` itself when there are none); `null` when the ring no longer
   * covers `position` (the reader fell behind it).
   */
  after(position: EventPosition, max: number): RingRead | null {
    if (compareEventPositions(position, this.#coverFrom) < 0) return null;
    const chunks = this.#chunks;
    // The first chunk whose last event is after the position.
    let low = this.#head;
    let high = chunks.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const chunk = chunks[mid] as EventChunk;
      if (compareEventPositions(chunk.positions[chunk.size - 1] as EventPosition, position) <= 0) {
        low = mid + 1;
      } else high = mid;
    }
    const runs: EventRun[] = [];
    let wanted = Math.max(1, max);
    let last = position;
    for (let c = low; c < chunks.length && wanted > 0; c++) {
      const chunk = chunks[c] as EventChunk;
      let from = c === this.#head ? this.#skip : 0;
      if (c === low) from = Math.max(from, firstAfter(chunk, position));
      // Chunks are taken whole (a read may pass `max` by less than a chunk): a whole chunk's bytes are
      // shared by every subscriber, compressed ones included.
      const to = chunk.size;
      runs.push({ chunk, from, to });
      wanted -= to - from;
      last = chunk.positions[to - 1] as EventPosition;
    }
    return { runs, count: Math.max(1, max) - wanted, position: last };
  }
}

/** The index of the first event of `chunk` after `position`. */
function firstAfter(chunk: EventChunk, position: EventPosition): number {
  let low = 0;
  let high = chunk.size;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareEventPositions(chunk.positions[mid] as EventPosition, position) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}
