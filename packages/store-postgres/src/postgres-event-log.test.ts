import { randomUUID } from 'node:crypto';
import { START_POSITION, type EventPosition } from '@stella-orch/core';
import {
  createTestDatabase,
  eventLogConformance,
  readWholeLog,
  requireServices,
  settled,
} from '@stella-orch/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openLedger, type Ledger } from './open-ledger.js';

const postgres = await requireServices(['postgres'], 'PostgresEventLog on PostgreSQL');

describe.skipIf(!postgres)('PostgreSQL', () => {
  eventLogConformance('PostgreSQL', async () => {
    const database = await createTestDatabase();
    const { store, audit, clients, events, driver } = await openLedger({ databaseUrl: database.url });
    return {
      store,
      audit,
      clients,
      events,
      sql: driver,
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  });

  describe('transactions that commit out of event-id order', () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let ledger: Ledger;
    const sessions: pg.Client[] = [];
    beforeAll(async () => {
      database = await createTestDatabase();
      ledger = await openLedger({ databaseUrl: database.url });
    });
    afterAll(async () => {
      for (const session of sessions) await session.end().catch(() => undefined);
      await ledger.store.close();
      await database.drop();
    });

    async function session(): Promise<pg.Client> {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      sessions.push(client);
      return client;
    }

    async function insertEvent(client: pg.Client, tenantId: string, eventType: string): Promise<string> {
      const { rows } = await client.query<{ event_id: string }>(
        'INSERT INTO orch.events (tenant_id, event_type) VALUES ($1, $2) RETURNING event_id::text AS event_id',
        [tenantId, eventType],
      );
      return rows[0]!.event_id;
    }

    async function readAfter(tenantId: string, after: EventPosition): Promise<string[]> {
      return (await readWholeLog(ledger.events, tenantId, { after })).map((item) => item.event.eventType);
    }

    test('a later commit with a lower event id is delivered, not skipped: nothing passes an open transaction', async () => {
      const tenantId = `tenant-${randomUUID()}`;
      const [one, two] = [await session(), await session()];
      await one.query('BEGIN');
      const low = await insertEvent(one, tenantId, 'test.low'); // lower id, commits last
      await two.query('BEGIN');
      const high = await insertEvent(two, tenantId, 'test.high');
      await two.query('COMMIT');
      expect(BigInt(low)).toBeLessThan(BigInt(high));

      // The committed event waits behind the open transaction: a reader that took it now and then moved
      // its position past it would never see `low`.
      expect(await readAfter(tenantId, START_POSITION)).toEqual([]);
      const latest = await ledger.events.getLatestPosition(tenantId);
      expect(latest).toEqual(START_POSITION);

      await one.query('COMMIT');
      await settled(ledger.driver);
      expect(await readAfter(tenantId, latest)).toEqual(['test.low', 'test.high']);
    });

    test('an older transaction that writes its event last still comes first in the log, and no reader skips it', async () => {
      const tenantId = `tenant-${randomUUID()}`;
      const [one, two] = [await session(), await session()];
      await one.query('BEGIN');
      await one.query('SELECT pg_current_xact_id()'); // takes the lower transaction id now
      await two.query('BEGIN');
      const first = await insertEvent(two, tenantId, 'test.younger');
      await two.query('COMMIT');
      const before = await readAfter(tenantId, START_POSITION);
      const second = await insertEvent(one, tenantId, 'test.older'); // higher event id, lower tx id
      expect(BigInt(first)).toBeLessThan(BigInt(second));
      expect(before).toEqual([]);
      await one.query('COMMIT');
      await settled(ledger.driver);
      expect(await readAfter(tenantId, START_POSITION)).toEqual(['test.older', 'test.younger']);
    });

    test('a rolled-back transaction releases the events behind it', async () => {
      const tenantId = `tenant-${randomUUID()}`;
      const [one, two] = [await session(), await session()];
      await one.query('BEGIN');
      await insertEvent(one, tenantId, 'test.rolled_back');
      await insertEvent(two, tenantId, 'test.kept');
      expect(await readAfter(tenantId, START_POSITION)).toEqual([]);
      await one.query('ROLLBACK');
      await settled(ledger.driver);
      expect(await readAfter(tenantId, START_POSITION)).toEqual(['test.kept']);
    });
  });
});
