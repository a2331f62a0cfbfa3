import { randomUUID } from 'node:crypto';
import { migratedPgliteImage, newJob, TEST_ACTOR } from '@stella-orch/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger, type Ledger } from './open-ledger.js';

describe('EmbeddedMaintenance on PGlite (which has no autovacuum)', () => {
  let ledger: Ledger;
  beforeAll(async () => {
    ledger = await openLedger({ pgliteImage: await migratedPgliteImage() });
  });
  afterAll(async () => {
    await ledger.store.close();
  });

  const jobsRowEstimate = async () =>
    (
      await ledger.driver.query<{ n: number }>(
        `SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'orch.jobs'::regclass`,
      )
    )[0]?.n ?? -1;

  it('analyzes the ledger about a second after a burst of inserted jobs, so the planner has statistics', async () => {
    const tenant = ledger.store.forTenant(`maintenance-${randomUUID()}`);
    const before = await jobsRowEstimate();
    expect(before).toBeLessThan(1_000);
    await tenant.createJobs({ jobs: Array.from({ length: 1_200 }, () => newJob()), actor: TEST_ACTOR });
    const deadline = Date.now() + 10_000;
    while ((await jobsRowEstimate()) < 1_200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await jobsRowEstimate()).toBeGreaterThanOrEqual(1_200);
  });
});
