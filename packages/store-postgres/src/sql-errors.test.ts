import { randomUUID } from 'node:crypto';
import { isOrchestratorError, toNewJob } from '@stella-orch/core';
import { migratedPgliteImage } from '@stella-orch/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openLedger, type Ledger } from './open-ledger.js';
import { PgliteDriver } from './pglite-driver.js';
import { PostgresDriver } from './postgres-driver.js';
import { PostgresJobStore } from './postgres-job-store.js';
import { SqlError } from './sql-errors.js';

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('the call succeeded'),
    (e: unknown) => e,
  );
}

// Nothing listens on port 1: every connection is refused at once.
const UNREACHABLE = 'postgres://postgres@127.0.0.1:1/none';

describe('driver errors never escape raw', () => {
  let ledger: Ledger;
  beforeAll(async () => {
    ledger = await openLedger({ pgliteImage: await migratedPgliteImage() });
  });
  afterAll(async () => {
    await ledger.store.close();
  });

  test('a refused PostgreSQL connection is STORE_UNAVAILABLE on every path', async () => {
    const driver = new PostgresDriver({ databaseUrl: UNREACHABLE });
    try {
      for (const call of [
        () => driver.query('SELECT 1'),
        () => driver.exec('SELECT 1; SELECT 2'),
        () => driver.transaction((tx) => tx.query('SELECT 1')),
        () => driver.listen('orch_test', () => undefined),
      ]) {
        const error = await failure(call());
        expect(isOrchestratorError(error, 'STORE_UNAVAILABLE'), String(error)).toBe(true);
      }
      const store = new PostgresJobStore(driver);
      expect(isOrchestratorError(await failure(store.checkReady()), 'STORE_UNAVAILABLE')).toBe(true);
      const job = toNewJob({ jobType: 'x' }, { jobId: randomUUID(), correlationId: 'c', maxAttempts: 1 });
      const create = store
        .forTenant('t')
        .createJobs({ jobs: [job], actor: { subject: 's', clientId: null, scopes: [] } });
      expect(isOrchestratorError(await failure(create), 'STORE_UNAVAILABLE')).toBe(true);
    } finally {
      await driver.close();
    }
  });

  test('a closed PGlite is STORE_UNAVAILABLE', async () => {
    const driver = await PgliteDriver.open(undefined, await migratedPgliteImage());
    await driver.close();
    expect(isOrchestratorError(await failure(driver.query('SELECT 1')), 'STORE_UNAVAILABLE')).toBe(true);
  });

  test('a refused statement is a SqlError (an OrchestratorError) with SQLSTATE and constraint', async () => {
    await ledger.driver.exec('CREATE TABLE IF NOT EXISTS orch.scratch (id int PRIMARY KEY)');
    await ledger.driver.query('INSERT INTO orch.scratch VALUES (1)');
    const duplicate = await failure(ledger.driver.query('INSERT INTO orch.scratch VALUES (1)'));
    expect(duplicate).toBeInstanceOf(SqlError);
    expect(duplicate).toMatchObject({ code: 'INTERNAL', sqlState: '23505', constraint: 'scratch_pkey' });
    expect(await failure(ledger.driver.query('SELEC 1'))).toMatchObject({
      code: 'INTERNAL',
      sqlState: '42601',
    });
  });

  test('a transaction that throws rolls back; its error comes out as an OrchestratorError', async () => {
    await ledger.driver.exec('CREATE TABLE IF NOT EXISTS orch.scratch2 (id int)');
    const marker = new Error('boom');
    const thrown = await failure(
      ledger.driver.transaction(async (tx) => {
        await tx.query('INSERT INTO orch.scratch2 VALUES (1)');
        throw marker;
      }),
    );
    expect(isOrchestratorError(thrown, 'INTERNAL')).toBe(true);
    expect((thrown as Error).cause).toBe(marker);
    expect(await ledger.driver.query('SELECT count(*)::int AS n FROM orch.scratch2')).toEqual([{ n: 0 }]);

    const domain = new SqlError('P0001', 'kept as it is', { cause: null });
    expect(await failure(ledger.driver.transaction(() => Promise.reject(domain)))).toBe(domain);
  });

  test('a malformed value from a caller is VALIDATION_FAILED, not a 500', async () => {
    const tenant = ledger.store.forTenant(`t-${randomUUID()}`);
    const error = await failure(tenant.listJobs({ pageSize: 10, createdAfter: 'yesterday-ish' }));
    expect(isOrchestratorError(error, 'VALIDATION_FAILED'), String(error)).toBe(true);
  });
});
