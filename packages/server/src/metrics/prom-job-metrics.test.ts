import type { Job } from '@stella-orch/core';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LabelPolicy } from './label-policy.js';
import { PromJobMetrics } from './prom-job-metrics.js';

const job = (jobType: string) => ({ tenantId: 't1', jobType }) as Job;

describe('PromJobMetrics', () => {
  it('makes the series of a job type at 0 for every origin and outcome the first time it is seen', async () => {
    const registry = new Registry();
    const metrics = new PromJobMetrics(
      registry,
      new LabelPolicy({ tenantLabels: true, maxJobTypeLabels: 10 }),
    );
    expect(await registry.metrics()).not.toContain('job_type="ingest"');
    metrics.jobsCreated([job('ingest')], 'submit');
    const text = await registry.metrics();
    expect(text).toContain(
      'stella_orch_jobs_submitted_total{tenant="t1",job_type="ingest",origin="submit"} 1',
    );
    expect(text).toContain(
      'stella_orch_jobs_submitted_total{tenant="t1",job_type="ingest",origin="replay"} 0',
    );
    for (const outcome of ['succeeded', 'failed-retry', 'failed-dead-lettered', 'canceled']) {
      expect(text).toContain(
        `stella_orch_jobs_completed_total{tenant="t1",job_type="ingest",outcome="${outcome}"} 0`,
      );
      expect(text).toContain(
        `stella_orch_lease_expirations_total{tenant="t1",job_type="ingest",outcome="${outcome}"} 0`,
      );
    }
    expect(text).toContain('stella_orch_jobs_leased_total{tenant="t1",job_type="ingest"} 0');
    expect(text).toContain('stella_orch_queued_jobs_canceled_total{tenant="t1",job_type="ingest"} 0');
    // Seen again: counted, not reset.
    metrics.jobsCreated([job('ingest')], 'submit');
    expect(await registry.metrics()).toContain(
      'stella_orch_jobs_submitted_total{tenant="t1",job_type="ingest",origin="submit"} 2',
    );
    metrics.leasesLost('t1', 'complete', 3);
    const lost = await registry.metrics();
    expect(lost).toContain('stella_orch_leases_lost_total{tenant="t1",operation="complete"} 3');
    expect(lost).toContain('stella_orch_leases_lost_total{tenant="t1",operation="heartbeat"} 0');
  });
});
