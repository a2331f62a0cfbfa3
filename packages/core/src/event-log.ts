import type { PositionedEvent } from './event-envelope.js';
import type { EventFilter } from './event-filter.js';
import type { EventPosition } from './event-position.js';

/** What {@link EventLog.readEvents} reads. */
export interface ReadEventsQuery {
  readonly tenantId: string;
  /** Read events strictly after this position; {@link START_POSITION} (or absent) reads from the start. */
  readonly after?: EventPosition;
  /** Applied to the events read; the position moves past events that do not match too. */
  readonly filter?: EventFilter;
  /** How many events of the log one read goes through at most (matching or not). */
  readonly limit: number;
}

/** A read of the log: the matching events in log order, and the position the read reached. */
export interface EventBatch {
  readonly events: readonly PositionedEvent[];
  /**
   * Where the next read starts: the last event read (matching or not), or the query's `after` when
   * there was nothing. Never past an event that could still commit.
   */
  readonly position: EventPosition;
  /** Whether the read stopped at `limit`, so that more events may be readable right now. */
  readonly more: boolean;
}

/**
 * The durable, tenant-scoped event log (`orch.event.v1`). The ledger's own statements append to it, in the
 * transaction of each state change and each audited operator action; this port reads and prunes it.
 *
 * Reads are gap-free and in one order per tenant: an event becomes readable only once every transaction
 * that started before it has ended, so nothing can commit later at an earlier position.
 */
export interface EventLog {
  /** Up to `limit` events of the log after `after`, of which those matching `filter`, in log order. */
  readEvents(query: ReadEventsQuery): Promise<EventBatch>;
  /**
   * The position of the tenant's last readable event (or {@link START_POSITION} for an empty log): a reader
   * that starts there misses nothing that commits afterwards.
   */
  getLatestPosition(tenantId: string): Promise<EventPosition>;
  /**
   * The position of the tenant's oldest event still kept (readable or not yet), or `null` for an empty
   * log: a reader whose position is older lost what retention removed in between.
   */
  getOldestPosition(tenantId: string): Promise<EventPosition | null>;
  /** Every tenant that has events, by tenant id: what retention walks. */
  listEventTenants(): Promise<string[]>;
  /**
   * Removes up to `limit` of the tenant's oldest events that occurred before `olderThan` (ISO-8601),
   * from the start of its log. @returns how many were removed
   */
  pruneEvents(params: {
    readonly tenantId: string;
    readonly olderThan: string;
    readonly limit: number;
  }): Promise<number>;
}
