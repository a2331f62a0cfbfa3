import { silentLogger, type CircuitBreakerCount, type QueueDepth } from '@stella-orch/core';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePrometheus, sumOf } from '../../test/prometheus-text.js';
import { LabelPolicy } from './label-policy.js';
import { LedgerGauges } from './ledger-gauges.js';

function depth(
  tenantId: string,
  jobType: string,
  state: QueueDepth['state'],
  count: number,
  oldest?: number,
) {
  return { tenantId, jobType, state, count, oldestAgeSeconds: oldest ?? null };
}

function setup(options: { cacheMs?: number; tenantLabels?: boolean; maxJobTypeLabels?: number } = {}) {
  const registry = new Registry();
  let now = 0;
  let answer: QueueDepth[] | Error = [];
  let breakers: CircuitBreakerCount[] | Error = [];
  let reads = 0;
  new LedgerGauges(
    registry,
    new LabelPolicy({
      tenantLabels: options.tenantLabels ?? true,
      maxJobTypeLabels: options.maxJobTypeLabels ?? 100,
    }),
    {
      queueDepths: () => {
        reads++;
        return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
      },
      circuitBreakerCounts: () =>
        breakers instanceof Error ? Promise.reject(breakers) : Promise.resolve(breakers),
      cacheMs: options.cacheMs ?? 5_000,
      logger: silentLogger,
      now: () => now,
    },
  );
  return {
    scrape: async () => parsePrometheus(await registry.metrics()),
    answer: (value: QueueDepth[] | Error) => {
      answer = value;
    },
    breakers: (value: CircuitBreakerCount[] | Error) => {
      breakers = value;
    },
    advance: (ms: number) => {
      now += ms;
    },
    reads: () => reads,
  };
}

describe('LedgerGauges', () => {
  it('sets every gauge from one read per scrape', async () => {
    const g = setup();
    g.answer([
      depth('acme', 'scan', 'ready', 4, 12.5),
      depth('acme', 'scan', 'backoff', 2),
      depth('acme', 'scan', 'not_before', 1),
      depth('acme', 'scan', 'in_flight', 3),
      depth('acme', 'ingest', 'dead_letter', 5),
    ]);
    const samples = await g.scrape();
    expect(g.reads()).toBe(1);
    const acmeScan = { tenant: 'acme', job_type: 'scan' };
    expect(sumOf(samples, 'stella_orch_queue_ready_jobs', acmeScan)).toBe(4);
    expect(sumOf(samples, 'stella_orch_queue_held_jobs', { ...acmeScan, reason: 'backoff' })).toBe(2);
    expect(sumOf(samples, 'stella_orch_queue_held_jobs', { ...acmeScan, reason: 'not_before' })).toBe(1);
    expect(sumOf(samples, 'stella_orch_jobs_in_flight', acmeScan)).toBe(3);
    expect(sumOf(samples, 'stella_orch_dead_letter_open_entries', { job_type: 'ingest' })).toBe(5);
    expect(sumOf(samples, 'stella_orch_queue_oldest_ready_job_age_seconds', acmeScan)).toBe(12.5);
  });

  it('reuses a snapshot for cacheMs, and reads again after', async () => {
    const g = setup({ cacheMs: 5_000 });
    g.answer([depth('acme', 'scan', 'ready', 1, 0)]);
    await g.scrape();
    g.answer([depth('acme', 'scan', 'ready', 9, 0)]);
    g.advance(4_999);
    expect(sumOf(await g.scrape(), 'stella_orch_queue_ready_jobs')).toBe(1);
    g.advance(1);
    expect(sumOf(await g.scrape(), 'stella_orch_queue_ready_jobs')).toBe(9);
    expect(g.reads()).toBe(2);
  });

  it('keeps a series that emptied, at 0', async () => {
    const g = setup({ cacheMs: 0 });
    g.answer([depth('acme', 'scan', 'ready', 2, 1), depth('acme', 'scan', 'in_flight', 1)]);
    await g.scrape();
    g.answer([]);
    const samples = await g.scrape();
    expect(samples.filter((s) => s.name === 'stella_orch_queue_ready_jobs')).toEqual([
      { name: 'stella_orch_queue_ready_jobs', labels: { tenant: 'acme', job_type: 'scan' }, value: 0 },
    ]);
    expect(sumOf(samples, 'stella_orch_jobs_in_flight', { tenant: 'acme' })).toBe(0);
  });

  it('folds tenants and extra job types: counts add up, the oldest age is the largest', async () => {
    const g = setup({ tenantLabels: false, maxJobTypeLabels: 1 });
    g.answer([
      depth('acme', 'scan', 'ready', 2, 5),
      depth('globex', 'scan', 'ready', 3, 50),
      depth('acme', 'ingest', 'ready', 4, 7),
      depth('acme', 'export', 'ready', 1, 70),
    ]);
    const samples = await g.scrape();
    expect(samples.filter((s) => s.name === 'stella_orch_queue_ready_jobs')).toEqual([
      { name: 'stella_orch_queue_ready_jobs', labels: { tenant: '_all', job_type: 'scan' }, value: 5 },
      { name: 'stella_orch_queue_ready_jobs', labels: { tenant: '_all', job_type: '_other' }, value: 5 },
    ]);
    expect(sumOf(samples, 'stella_orch_queue_oldest_ready_job_age_seconds', { job_type: 'scan' })).toBe(50);
    expect(sumOf(samples, 'stella_orch_queue_oldest_ready_job_age_seconds', { job_type: '_other' })).toBe(70);
  });

  it('counts a failed read, serves the last values, and reads again at the next scrape', async () => {
    const g = setup({ cacheMs: 60_000 });
    g.answer([depth('acme', 'scan', 'ready', 2, 1)]);
    await g.scrape();
    g.advance(60_000);
    g.answer(new Error('ledger down'));
    const failed = await g.scrape();
    expect(sumOf(failed, 'stella_orch_queue_ready_jobs')).toBe(2);
    expect(sumOf(failed, 'stella_orch_ledger_gauge_refresh_failures_total')).toBe(1);
    g.answer([depth('acme', 'scan', 'ready', 7, 1)]);
    expect(sumOf(await g.scrape(), 'stella_orch_queue_ready_jobs')).toBe(7);
    expect(g.reads()).toBe(3);
  });

  it('counts circuit breakers by tenant and state: every state of a tenant with breakers, folded tenants added', async () => {
    const g = setup({ cacheMs: 0 });
    g.breakers([
      { tenantId: 'acme', state: 'closed', count: 3 },
      { tenantId: 'acme', state: 'open', count: 1 },
      { tenantId: 'globex', state: 'half_open', count: 2 },
    ]);
    const samples = await g.scrape();
    const of = (tenant: string, state: string) =>
      sumOf(samples, 'stella_orch_circuit_breakers', { tenant, state });
    expect([of('acme', 'closed'), of('acme', 'open'), of('acme', 'half_open')]).toEqual([3, 1, 0]);
    expect([of('globex', 'closed'), of('globex', 'open'), of('globex', 'half_open')]).toEqual([0, 0, 2]);
    expect(samples.filter((s) => s.name === 'stella_orch_circuit_breakers')).toHaveLength(6);
    // A breaker reset: its open series stays, at 0; a failed read of the breakers is a failed snapshot.
    g.breakers([{ tenantId: 'acme', state: 'closed', count: 4 }]);
    const after = await g.scrape();
    expect(sumOf(after, 'stella_orch_circuit_breakers', { tenant: 'acme', state: 'open' })).toBe(0);
    expect(sumOf(after, 'stella_orch_circuit_breakers', { tenant: 'globex', state: 'half_open' })).toBe(0);
    g.breakers(new Error('ledger down'));
    await g.scrape();
    g.breakers([{ tenantId: 'acme', state: 'closed', count: 4 }]);
    expect(sumOf(await g.scrape(), 'stella_orch_ledger_gauge_refresh_failures_total')).toBe(1);

    const folded = setup({ tenantLabels: false });
    folded.breakers([
      { tenantId: 'acme', state: 'open', count: 1 },
      { tenantId: 'globex', state: 'open', count: 2 },
    ]);
    const all = await folded.scrape();
    expect(sumOf(all, 'stella_orch_circuit_breakers', { tenant: '_all', state: 'open' })).toBe(3);
    expect(sumOf(all, 'stella_orch_circuit_breakers', { tenant: '_all', state: 'closed' })).toBe(0);
  });
});
