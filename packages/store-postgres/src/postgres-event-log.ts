import {
  matchesEventFilter,
  START_POSITION,
  toEventEnvelope,
  validationError,
  type EventBatch,
  type EventLog,
  type EventPosition,
  type PositionedEvent,
  type ReadEventsQuery,
  type StoredEvent,
} from '@stella-orch/core';
import { runLedgerOperation } from './ledger-errors.js';
import { listEventTenants, pruneEvents } from './queries/prune-events.js';
import {
  latestEventPosition,
  oldestEventPosition,
  readEvents,
  type EventRow,
  type PositionRow,
} from './queries/read-events.js';
import type { SqlDriver } from './sql-driver.js';

/** Most events one read goes through. */
export const MAX_EVENT_READ = 5_000;

function positionOf(row: PositionRow): EventPosition {
  return { txId: BigInt(row.tx_id), eventId: BigInt(row.event_id) };
}

/** A row of the log as the core's {@link StoredEvent}. */
export function mapStoredEvent(tenantId: string, row: EventRow): StoredEvent {
  return {
    position: positionOf(row),
    eventId: row.event_id,
    eventType: row.event_type,
    occurredAt: (row.occurred_at instanceof Date ? row.occurred_at : new Date(row.occurred_at)).toISOString(),
    tenantId,
    jobId: row.job_id,
    attempt: row.attempt,
    actor: row.actor,
    actorScopes: row.actor_scopes,
    correlationId: row.correlation_id,
    data: row.data,
    job:
      row.job_type === null
        ? null
        : {
            jobType: row.job_type,
            runId: row.run_id,
            projectId: row.project_id,
            sourceId: row.source_id,
            correlationId: row.job_correlation_id ?? '',
            payloadDigest: row.payload_digest ?? '',
          },
  };
}

function checkTenant(tenantId: string): void {
  if (tenantId.length === 0) throw validationError([{ path: 'tenantId', message: 'must not be empty' }]);
}

/**
 * The event log on the ledger (PostgreSQL or PGlite, same SQL): `orch.events`, appended to by the ledger's
 * own statements. Reads stop at the oldest transaction still in progress, so a position handed out is
 * never passed by an event that commits later (docs/decisions/0009-event-log-and-streams.md).
 */
export class PostgresEventLog implements EventLog {
  readonly #driver: SqlDriver;

  /** @param driver - a migrated ledger (see `openLedger`) */
  constructor(driver: SqlDriver) {
    this.#driver = driver;
  }

  /**
   * @inheritdoc
   * `limit` is clamped to 1 … {@link MAX_EVENT_READ}.
   * @throws OrchestratorError `VALIDATION_FAILED` for an empty tenant id
   */
  async readEvents(query: ReadEventsQuery): Promise<EventBatch> {
    checkTenant(query.tenantId);
    const after = query.after ?? START_POSITION;
    const limit = Math.min(Math.max(Math.floor(query.limit), 1), MAX_EVENT_READ);
    const rows = await runLedgerOperation(() =>
      readEvents(this.#driver, {
        tenantId: query.tenantId,
        txId: after.txId.toString(),
        eventId: after.eventId.toString(),
        limit,
      }),
    );
    const events: PositionedEvent[] = [];
    for (const row of rows) {
      const stored = mapStoredEvent(query.tenantId, row);
      const event = toEventEnvelope(stored);
      if (query.filter === undefined || matchesEventFilter(event, query.filter)) {
        events.push({ position: stored.position, event });
      }
    }
    const last = rows.at(-1);
    return { events, position: last === undefined ? after : positionOf(last), more: rows.length === limit };
  }

  /** @inheritdoc */
  async getLatestPosition(tenantId: string): Promise<EventPosition> {
    checkTenant(tenantId);
    const row = await runLedgerOperation(() => latestEventPosition(this.#driver, tenantId));
    return row === null ? START_POSITION : positionOf(row);
  }

  /** @inheritdoc */
  async getOldestPosition(tenantId: string): Promise<EventPosition | null> {
    checkTenant(tenantId);
    const row = await runLedgerOperation(() => oldestEventPosition(this.#driver, tenantId));
    return row === null ? null : positionOf(row);
  }

  /** @inheritdoc */
  listEventTenants(): Promise<string[]> {
    return runLedgerOperation(() => listEventTenants(this.#driver));
  }

  /** @inheritdoc */
  async pruneEvents(params: {
    readonly tenantId: string;
    readonly olderThan: string;
    readonly limit: number;
  }): Promise<number> {
    checkTenant(params.tenantId);
    if (Number.isNaN(Date.parse(params.olderThan))) {
      throw validationError([{ path: 'olderThan', message: 'must be an ISO-8601 date-time' }]);
    }
    const limit = Math.max(1, Math.floor(params.limit));
    return runLedgerOperation(() =>
      pruneEvents(this.#driver, { tenantId: params.tenantId, olderThan: params.olderThan, limit }),
    );
  }
}
