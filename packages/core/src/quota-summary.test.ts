import { describe, expect, it } from 'vitest';
import type { Quota } from './quota.js';
import { quotaAuditRecord } from './quota-audit.js';
import { limitKeys } from './limit-rules.js';
import { summarizeQuotas } from './quota-summary.js';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');

function quota(overrides: Partial<Quota> = {}): Quota {
  return {
    tenantId: 't1',
    quotaId: '00000000-0000-4000-8000-000000000001',
    jobType: null,
    maxActive: null,
    maxPerHour: null,
    burst: null,
    paused: false,
    pauseReason: null,
    pauseTicket: null,
    pausedBy: null,
    pausedAt: null,
    reason: 'seasonal load',
    ticket: null,
    version: 1,
    createdAt: '2029-12-31T00:00:00.000Z',
    createdBy: 'admin',
    updatedAt: '2029-12-31T00:00:00.000Z',
    updatedBy: 'admin',
    ...overrides,
  };
}

describe('summarizeQuotas', () => {
  const loads = [
    { jobType: 'scan', active: 3, ready: 10 },
    { jobType: 'export', active: 1, ready: 0 },
  ];

  it('counts a job type’s load for its quota, and every job type for the tenant-wide one', () => {
    const summary = summarizeQuotas({
      tenantId: 't1',
      quotas: [
        quota({ jobType: 'scan', maxActive: 5 }),
        quota({ jobType: 'idle', maxActive: 5 }),
        quota({ maxActive: 100 }),
      ],
      loads,
      levels: new Map(),
      nowMs: NOW,
    });
    expect(summary.asOf).toBe('2030-01-01T00:00:00.000Z');
    expect(summary.totals).toEqual({ active: 4, readyJobs: 10 });
    expect(summary.quotas.map(({ active, readyJobs, tokens }) => ({ active, readyJobs, tokens }))).toEqual([
      { active: 3, readyJobs: 10, tokens: null },
      { active: 0, readyJobs: 0, tokens: null },
      { active: 4, readyJobs: 10, tokens: null },
    ]);
  });

  it('reads the bucket from its stored level refilled until now, else full', () => {
    const levels = new Map([[limitKeys.quota('scan'), { tokens: 1, refilledAtMs: NOW - 30_000 }]]);
    const summary = summarizeQuotas({
      tenantId: 't1',
      quotas: [quota({ jobType: 'scan', maxPerHour: 360, burst: 50 }), quota({ maxPerHour: 600 })],
      loads,
      levels,
      nowMs: NOW,
    });
    // 1 + 30 s × 0.1/s = 4; the tenant-wide bucket has no stored level: full at a minute of 600/h.
    expect(summary.quotas[0]).toMatchObject({ tokens: 4, tokenCapacity: 50 });
    expect(summary.quotas[1]).toMatchObject({ tokens: 10, tokenCapacity: 10 });
  });

  it('says what each quota holds back now, as why does, and nothing while it allows a lease', () => {
    const summary = summarizeQuotas({
      tenantId: 't1',
      quotas: [
        quota({ jobType: 'scan', maxActive: 3 }),
        quota({ jobType: 'export', maxActive: 1 }),
        quota({
          maxActive: 100,
          paused: true,
          pausedBy: 'bob',
          pausedAt: '2030-01-01T00:00:00.000Z',
          pauseReason: 'freeze',
        }),
        quota({ jobType: 'other', maxActive: 9 }),
      ],
      loads: [...loads, { jobType: 'other', active: 0, ready: 2 }],
      levels: new Map(),
      nowMs: NOW,
    });
    expect(summary.quotas.map((u) => u.holds.map((h) => h.code))).toEqual([
      ['QUOTA_ACTIVE_LIMIT'], // 3/3 active, 10 ready
      [], // 1/1 active, but nothing waits
      ['QUOTA_PAUSED'],
      [], // room left
    ]);
    expect(summary.quotas[0]?.holds[0]?.message).toContain('3/3 jobs active');
  });
});

describe('quotaAuditRecord', () => {
  it('keeps the quota before and after, and correlates with the quota', () => {
    const before = quota({ maxActive: 5 });
    const record = quotaAuditRecord({
      action: 'quota.delete',
      actor: { subject: 'admin', clientId: 'c', scopes: ['orch:quota'] },
      before,
      after: null,
      audit: { reason: 'seasonal load' },
    });
    expect(record).toMatchObject({
      action: 'quota.delete',
      resourceType: 'quota',
      resourceId: before.quotaId,
      reason: 'seasonal load',
      correlationId: `quota:${before.quotaId}`,
      before: { maxActive: 5, jobType: null, version: 1 },
    });
    expect(record).not.toHaveProperty('after');
  });
});
