import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerEngines, startHarnessOn, type Harness } from './harness.js';
import { parsePrometheus, type Sample } from './prometheus-text.js';

const ENGINES = await ledgerEngines('Metrics against the ledger');

const JOB_TYPES = ['m.alpha', 'm.beta', 'm.gamma'];
const JOBS_PER_TENANT = 150;
const RETRYABLE = { type: 'Flaky', message: 'try again', retryable: true };
const FATAL = { type: 'Broken', message: 'never works', retryable: false };

interface Lease {
  leaseId: string;
  fencingToken: number;
  job: { jobId: string; jobType: string; attempt: number };
}

/** `name{labels}` → value, for the samples of `name` of the given tenants, keyed by the listed labels. */
function counters(samples: readonly Sample[], name: string, keys: readonly string[], tenants: string[]) {
  const values: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name || !tenants.includes(s.labels['tenant'] ?? '') || s.value === 0) continue;
    const key = keys.map((k) => s.labels[k]).join('|');
    values[key] = (values[key] ?? 0) + s.value;
  }
  return values;
}

/** The rows of a `(key, count)` query as the same kind of map. */
function countsOf(rows: readonly { key: string; count: number }[]): Record<string, number> {
  return Object.fromEntries(rows.map((r) => [r.key, r.count]));
}

describe.each(ENGINES)('metrics against the ledger on %s', (engine) => {
  let h: Harness;
  const tenants: string[] = [];
  let leasesLost = 0;

  beforeAll(async () => {
    h = await startHarnessOn(engine, {
      config: {
        // No back-off: a retried attempt is eligible at once, so the scenario runs to the end quickly.
        retry: { initialDelayMs: 0, multiplier: 1, maxDelayMs: 0, jitter: 0 },
        metrics: {
          enabled: true,
          bearerToken: null,
          tenantLabels: true,
          maxJobTypeLabels: 100,
          ledgerCacheMs: 0,
        },
      },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  async function lease(limit: number, leaseDurationMs = 30_000): Promise<Lease[]> {
    const res = await h.call('POST', '/leases', {
      workerId: 'w-metrics',
      jobTypes: JOB_TYPES,
      limit,
      leaseDurationMs,
    });
    expect(res.statusCode).toBe(200);
    return res.json().leases;
  }

  /** The outcome the scenario gives an attempt: a fixed mix of successes, failures and cancels. */
  function completionOf(l: Lease, n: number): Record<string, unknown> {
    const proof = { leaseId: l.leaseId, fencingToken: l.fencingToken };
    switch (n % 10) {
      case 0:
        return { ...proof, outcome: 'failed', error: FATAL };
      case 1:
      case 2:
      case 3:
        return { ...proof, outcome: 'failed', error: RETRYABLE };
      case 4:
        return { ...proof, outcome: 'canceled' };
      default:
        return { ...proof, outcome: 'succeeded', result: { n } };
    }
  }

  /** Leases and completes until nothing is left: batched completions, each batch with one stale repeat. */
  async function drain(): Promise<void> {
    let n = 0;
    for (;;) {
      const leases = await lease(40);
      if (leases.length === 0) return;
      const completions = leases.map((l) => completionOf(l, n++));
      // A completion of a lease already completed in this batch: refused LEASE_LOST, changes nothing.
      completions.push({ ...completions[0], fencingToken: leases[0]!.fencingToken + 1 });
      const res = await h.call('POST', '/leases/complete', { completions });
      expect(res.statusCode).toBe(200);
      const results: { ok: boolean; code?: string }[] = res.json().results;
      expect(results.filter((r) => r.ok)).toHaveLength(leases.length);
      leasesLost += results.filter((r) => r.code === 'LEASE_LOST').length;
    }
  }

  it('runs a few hundred jobs through retries, cancels, lapsed leases, dead letters and replays', async () => {
    for (let t = 0; t < 2; t++) {
      tenants.push(h.newTenant());
      const jobs = Array.from({ length: JOBS_PER_TENANT }, (_, i) => ({
        jobType: JOB_TYPES[i % JOB_TYPES.length],
        maxAttempts: 2 + (i % 2),
        payload: { i },
      }));
      const res = await h.call('POST', '/jobs/batch', { jobs });
      expect(res.statusCode).toBe(201);
      const created: { jobId: string }[] = res.json().jobs;

      // Operators cancel some queued jobs, and flag some that a worker holds.
      for (const job of created.slice(0, 6)) {
        expect((await h.call('POST', `/jobs/${job.jobId}/cancel`, { reason: 'not needed' })).statusCode).toBe(
          200,
        );
      }
      const held = await lease(3);
      for (const l of held) {
        expect((await h.call('POST', `/jobs/${l.job.jobId}/cancel`, { reason: 'stop' })).statusCode).toBe(
          200,
        );
      }
      await h.call('POST', '/leases/complete', {
        completions: held.map((l, i) => completionOf(l, i + 1)),
      });

      // Some leases lapse: the reaper ends their attempts (a stale heartbeat on one is LEASE_LOST).
      const lapsing = await lease(5, 1_000);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const stale = await h.call('POST', `/leases/${lapsing[0]!.leaseId}/heartbeat`, {
        fencingToken: lapsing[0]!.fencingToken,
      });
      expect(stale.statusCode).toBe(409);
      leasesLost++;
      expect((await h.jobs.reapExpiredLeases()).length).toBeGreaterThanOrEqual(lapsing.length);

      await drain();

      // Operators retry some dead letters and replay some successes; the new jobs run too.
      const dead = await h.call('GET', '/jobs?status=failed&page_size=3');
      const done = await h.call('GET', '/jobs?status=succeeded&page_size=2');
      for (const job of dead.json().items as { jobId: string }[]) {
        expect((await h.call('POST', `/jobs/${job.jobId}/retry`)).statusCode).toBe(201);
      }
      for (const job of done.json().items as { jobId: string }[]) {
        expect((await h.call('POST', `/jobs/${job.jobId}/replay`)).statusCode).toBe(201);
      }
      await drain();
    }

    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    const samples = parsePrometheus(res.body);
    const sql = async (text: string) =>
      countsOf(await h.driver.query<{ key: string; count: number }>(text, [tenants]));

    // Jobs created, by origin: the first history row of every job.
    expect(
      counters(samples, 'stella_orch_jobs_submitted_total', ['tenant', 'job_type', 'origin'], tenants),
    ).toEqual(
      await sql(`
        SELECT concat_ws('|', j.tenant_id, j.job_type,
          CASE h.reason WHEN 'submitted' THEN 'submit' WHEN 'retried' THEN 'retry' ELSE 'replay' END) AS key,
          count(*)::int AS count
        FROM orch.job_history h JOIN orch.jobs j USING (tenant_id, job_id)
        WHERE h.tenant_id = ANY($1) AND h.from_status IS NULL
        GROUP BY 1`),
    );
    expect(
      Object.values(
        await sql(`SELECT 'all' AS key, count(*)::int AS count FROM orch.jobs WHERE tenant_id = ANY($1)`),
      ),
    ).toEqual([JOBS_PER_TENANT * 2 + 10]);

    // Leases granted, and the queue waits observed: one per history row `leased`.
    const leased = await sql(`
      SELECT concat_ws('|', j.tenant_id, j.job_type) AS key, count(*)::int AS count
      FROM orch.job_history h JOIN orch.jobs j USING (tenant_id, job_id)
      WHERE h.tenant_id = ANY($1) AND h.reason = 'leased'
      GROUP BY 1`);
    expect(counters(samples, 'stella_orch_jobs_leased_total', ['tenant', 'job_type'], tenants)).toEqual(
      leased,
    );
    expect(
      counters(samples, 'stella_orch_job_queue_wait_seconds_count', ['tenant', 'job_type'], tenants),
    ).toEqual(leased);

    // Attempts ended, by who ended them and how: the history rows leaving leased/running.
    const ended = (reaper: boolean) => `
      SELECT concat_ws('|', j.tenant_id, j.job_type, CASE h.to_status
          WHEN 'succeeded' THEN 'succeeded' WHEN 'pending' THEN 'failed-retry'
          WHEN 'failed' THEN 'failed-dead-lettered' ELSE 'canceled' END) AS key,
        count(*)::int AS count
      FROM orch.job_history h JOIN orch.jobs j USING (tenant_id, job_id)
      WHERE h.tenant_id = ANY($1) AND h.from_status IN ('leased', 'running') AND h.to_status <> 'running'
        AND (h.actor = 'system:lease-reaper') = ${reaper}
      GROUP BY 1`;
    const completed = await sql(ended(false));
    const outcomes = new Set(Object.keys(completed).map((key) => key.split('|')[2]));
    expect(outcomes).toEqual(new Set(['succeeded', 'failed-retry', 'failed-dead-lettered', 'canceled']));
    expect(
      counters(samples, 'stella_orch_jobs_completed_total', ['tenant', 'job_type', 'outcome'], tenants),
    ).toEqual(completed);
    expect(
      counters(
        samples,
        'stella_orch_job_run_duration_seconds_count',
        ['tenant', 'job_type', 'outcome'],
        tenants,
      ),
    ).toEqual(completed);
    const expired = await sql(ended(true));
    expect(Object.keys(expired)).not.toHaveLength(0);
    expect(
      counters(samples, 'stella_orch_lease_expirations_total', ['tenant', 'job_type', 'outcome'], tenants),
    ).toEqual(expired);

    // Operator cancels of queued jobs.
    expect(
      counters(samples, 'stella_orch_queued_jobs_canceled_total', ['tenant', 'job_type'], tenants),
    ).toEqual(
      await sql(`
        SELECT concat_ws('|', j.tenant_id, j.job_type) AS key, count(*)::int AS count
        FROM orch.job_history h JOIN orch.jobs j USING (tenant_id, job_id)
        WHERE h.tenant_id = ANY($1) AND h.from_status IN ('waiting', 'pending') AND h.to_status = 'canceled'
        GROUP BY 1`),
    );

    // Refused fenced calls, as the callers were answered.
    expect(
      Object.values(counters(samples, 'stella_orch_leases_lost_total', ['tenant'], tenants)).reduce(
        (a, b) => a + b,
      ),
    ).toBe(leasesLost);

    // The gauges: nothing left to run; open dead letters as the ledger holds them.
    expect(counters(samples, 'stella_orch_queue_ready_jobs', ['tenant', 'job_type'], tenants)).toEqual({});
    expect(counters(samples, 'stella_orch_jobs_in_flight', ['tenant', 'job_type'], tenants)).toEqual({});
    expect(
      counters(samples, 'stella_orch_dead_letter_open_entries', ['tenant', 'job_type'], tenants),
    ).toEqual(
      await sql(`
        SELECT concat_ws('|', tenant_id, job_type) AS key, count(*)::int AS count
        FROM orch.dead_letters WHERE tenant_id = ANY($1) AND status = 'open' GROUP BY 1`),
    );
  });
});
