import { randomUUID } from 'node:crypto';
import { explainJob } from '@stella-orch/core';
import { createOne, registerTestSource, TEST_ACTOR } from '@stella-orch/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from './open-ledger.js';

// The backfill hold, read for real. Backfills are made through their own store (another slice); this test
// writes the one row the read joins, as a paused backfill leaves it (docs/decisions/0017).
describe('job hold facts: a paused backfill (PGlite)', () => {
  let ledger: Awaited<ReturnType<typeof openLedger>>;
  beforeAll(async () => {
    ledger = await openLedger();
  });
  afterAll(async () => {
    await ledger.store.close();
  });

  it('names the paused backfill of the job, and stops once it is active', async () => {
    const tenantId = `tenant-${randomUUID()}`;
    const tenant = ledger.store.forTenant(tenantId);
    const sourceId = await registerTestSource(ledger.sources.forTenant(tenantId));
    const runId = `run-${randomUUID()}`;
    await tenant.createRun({
      run: { runId, name: 'backfill', sourceId, idempotencyKey: null, requestDigest: 'x' },
      actor: TEST_ACTOR,
    });
    const job = await createOne(tenant, { jobType: 'scan', sourceId, runId });
    const backfillId = randomUUID();
    await ledger.driver.query(
      `INSERT INTO orch.backfills (tenant_id, backfill_id, source_id, job_type, window_start, window_end,
         step_seconds, status, run_id, total_jobs, reason, ticket, payload_template, priority, max_attempts,
         request_digest, created_by, updated_by, paused_by, paused_at)
       VALUES ($1, $2::uuid, $3, 'scan', now() - interval '1 day', now(), 3600, 'paused', $4, 1, 'r', 'T-1',
         '{}', 0, 3, 'x', 'ops', 'ops', 'bob', now())`,
      [tenantId, backfillId, sourceId, runId],
    );
    await ledger.driver.query(`UPDATE orch.jobs SET held = true WHERE tenant_id = $1 AND run_id = $2`, [
      tenantId,
      runId,
    ]);

    const read = await tenant.readJobHoldFacts(job.jobId, { maxQueueAhead: 10 });
    const paused = explainJob(read!.job, read!.facts);
    expect(paused.runnable).toBe(false);
    expect(paused.conditions).toEqual([
      expect.objectContaining({
        code: 'BACKFILL_PAUSED',
        details: expect.objectContaining({ backfillId, pausedBy: 'bob' }) as unknown,
      }),
    ]);

    await ledger.driver.query(
      `UPDATE orch.backfills SET status = 'active', paused_by = NULL, paused_at = NULL WHERE tenant_id = $1`,
      [tenantId],
    );
    await ledger.driver.query(`UPDATE orch.jobs SET held = false WHERE tenant_id = $1`, [tenantId]);
    const resumed = await tenant.readJobHoldFacts(job.jobId, { maxQueueAhead: 10 });
    expect(explainJob(resumed!.job, resumed!.facts).conditions.map((c) => c.code)).toEqual(['READY']);
  });
});
