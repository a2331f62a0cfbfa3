import { randomUUID } from 'node:crypto';
import {
  compareEventPositions,
  START_POSITION,
  type AuditTrail,
  type ClientRegistry,
  type EventFilter,
  type EventLog,
  type EventPosition,
  type JobStore,
  type PositionedEvent,
} from '@stella-orch/core';
import { expect } from 'vitest';
import type { LedgerSql } from './audit-fixtures.js';
import { sleep } from './job-store-fixtures.js';

/** What each event-log conformance test gets: the log and the writers that append to it, on one ledger. */
export interface EventLogConformanceContext {
  readonly events: EventLog;
  readonly store: JobStore;
  readonly audit: AuditTrail;
  readonly clients: ClientRegistry;
  readonly sql: LedgerSql;
}

/**
 * Waits until every transaction that started before this call has ended, so that the log shows all the
 * events written so far. Reads stop at the oldest transaction still open in the whole database cluster:
 * on a PostgreSQL shared with other test files, someone else's open transaction holds reads back for a
 * while (PGlite runs one transaction at a time: there it returns at once).
 */
export async function settled(sql: LedgerSql, timeoutMs = 30_000): Promise<void> {
  const [mine] = await sql.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [horizon] = await sql.query<{ past: boolean }>(
      'SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::text::xid8 AS past',
      [mine?.xid],
    );
    if (horizon?.past === true) return;
    if (Date.now() > deadline) throw new Error(`transactions older than ${mine?.xid} are still open`);
    await sleep(10);
  }
}

/** {@link settled}, then {@link readWholeLog}. */
export async function readSettled(
  ctx: { readonly events: EventLog; readonly sql: LedgerSql },
  tenantId: string,
  options: Parameters<typeof readWholeLog>[2] = {},
): Promise<PositionedEvent[]> {
  await settled(ctx.sql);
  return readWholeLog(ctx.events, tenantId, options);
}

/** A fresh, random tenant id. */
export function freshEventTenant(): string {
  return `tenant-${randomUUID()}`;
}

/**
 * Reads a tenant's whole log after `after`, `pageSize` events a read, checking that positions only grow
 * and that a read that stops short of its limit says so.
 */
export async function readWholeLog(
  events: EventLog,
  tenantId: string,
  options: { readonly after?: EventPosition; readonly filter?: EventFilter; readonly pageSize?: number } = {},
): Promise<PositionedEvent[]> {
  const all: PositionedEvent[] = [];
  let position = options.after ?? START_POSITION;
  for (;;) {
    const batch = await events.readEvents({
      tenantId,
      after: position,
      limit: options.pageSize ?? 500,
      ...(options.filter === undefined ? {} : { filter: options.filter }),
    });
    for (const item of batch.events) {
      expect(compareEventPositions(item.position, position)).toBeGreaterThan(0);
      expect(compareEventPositions(item.position, batch.position)).toBeLessThanOrEqual(0);
      position = item.position;
      all.push(item);
    }
    expect(compareEventPositions(batch.position, position)).toBeGreaterThanOrEqual(0);
    position = batch.position;
    if (!batch.more) return all;
  }
}

/** The event types of a read, in order. */
export function typesOf(events: readonly PositionedEvent[]): string[] {
  return events.map((item) => item.event.eventType);
}
