import { describe, expect, it } from 'vitest';
import {
  admit,
  agedPriority,
  bucketLevelsAfter,
  pickAdmitted,
  type InFlightCount,
  type LeaseCandidate,
} from './admission.js';
import { queueHolds } from './queue-holds.js';
import { limitRules, lockedLimitKeys, ruleApplies, type LimitRule } from './limit-rules.js';
import type { BucketLevel } from './token-bucket.js';

const NOW = Date.parse('2026-12-02T12:00:00.000Z');

const quota = {
  quotaId: 'q-1',
  jobType: 'scan' as string | null,
  maxActive: null as number | null,
  maxPerHour: null as number | null,
  burst: null as number | null,
  paused: false,
  pausedBy: null as string | null,
  pausedAt: null as string | null,
  pauseReason: null as string | null,
  pauseTicket: null as string | null,
};

const throttle = {
  throttleId: 't-1',
  sourceId: 'nvd' as string | null,
  jobType: null as string | null,
  pause: false,
  maxPerSecond: null as number | null,
  maxConcurrent: null as number | null,
  reason: 'vendor asked us to slow down',
  ticket: 'OPS-7',
  createdBy: 'alice',
  createdAt: '2026-12-02T11:00:00.000Z',
  expiresAt: '2026-12-02T13:00:00.000Z',
  revokedAt: null as string | null,
};

function rules(parts: Partial<Parameters<typeof limitRules>[0]>): LimitRule[] {
  return limitRules({ sources: [], quotas: [], throttles: [], nowMs: NOW, ...parts });
}

function admission(
  r: LimitRule[],
  inFlight: InFlightCount[] = [],
  levels: Map<string, BucketLevel> = new Map(),
) {
  return admit({ rules: r, levels, inFlight, nowMs: NOW, backfillShare: 0.25 });
}

function candidates(
  jobType: string,
  sourceId: string | null,
  n: number,
  from = 1,
  priority = 0,
): LeaseCandidate[] {
  return Array.from({ length: n }, (_, i) => ({
    jobId: `${sourceId ?? '-'}-${jobType}-${from + i}`,
    jobType,
    sourceId,
    lane: 'live' as const,
    priority,
    seq: from + i,
  }));
}

describe('limitRules', () => {
  it('makes one rule per limited source, quota and throttle in force, keyed for orch.limit_state', () => {
    const r = rules({
      sources: [
        { sourceId: 'nvd', rateLimit: { burst: 5, refillPerSecond: 1 }, maxConcurrent: null },
        { sourceId: 'osv', rateLimit: null, maxConcurrent: null },
      ],
      quotas: [{ ...quota, jobType: null, maxActive: 3 }],
      throttles: [
        throttle,
        { ...throttle, throttleId: 't-2', expiresAt: '2026-12-02T11:59:59.000Z', pause: true },
      ],
    });
    expect(r.map((x) => x.key)).toEqual(['quota:*', 'source:nvd', 'throttle:t-1']);
    expect(lockedLimitKeys(r)).toEqual(['quota:*', 'source:nvd']);
  });

  it('turns maxPerHour and burst into a bucket, defaulting the burst to a minute of the rate', () => {
    const [withBurst] = rules({ quotas: [{ ...quota, maxPerHour: 3600, burst: 10 }] });
    const [withoutBurst] = rules({ quotas: [{ ...quota, maxPerHour: 600 }] });
    expect(withBurst?.bucket).toEqual({ capacity: 10, refillPerSecond: 1 });
    expect(withoutBurst?.bucket).toEqual({ capacity: 10, refillPerSecond: 600 / 3600 });
  });
});

/**
 * The most jobs of `queue` the limits let one lease call take, at most `cap`: the least `remaining` of the
 * limits that apply (what the lease grant's queue scan computes in SQL, queries/lease-queues.ts `sized`).
 */
function queueBudget(
  a: ReturnType<typeof admission>,
  queue: { jobType: string; sourceId: string | null },
  cap: number,
) {
  return Math.max(
    0,
    Math.min(cap, ...a.states.filter((s) => ruleApplies(s.rule.scope, queue)).map((s) => s.remaining)),
  );
}

describe('admit and the budget of a queue', () => {
  it('allows the lowest of every limit that applies to the queue', () => {
    const a = admission(
      rules({
        sources: [{ sourceId: 'nvd', rateLimit: { burst: 8, refillPerSecond: 1 }, maxConcurrent: 10 }],
        quotas: [{ ...quota, maxActive: 5 }],
      }),
      [{ jobType: 'scan', sourceId: 'osv', lane: 'live', count: 2 }],
    );
    expect(queueBudget(a, { jobType: 'scan', sourceId: 'nvd' }, 100)).toBe(3); // quota 5 - 2 in flight
    expect(queueBudget(a, { jobType: 'export', sourceId: 'nvd' }, 100)).toBe(8); // bucket only
    expect(queueBudget(a, { jobType: 'export', sourceId: null }, 100)).toBe(100); // nothing applies
    expect(queueBudget(a, { jobType: 'export', sourceId: 'nvd' }, 4)).toBe(4);
  });

  it('refills a stored bucket level with the elapsed time and counts only whole tokens', () => {
    const r = rules({
      sources: [{ sourceId: 'nvd', rateLimit: { burst: 10, refillPerSecond: 2 }, maxConcurrent: null }],
    });
    const a = admission(r, [], new Map([['source:nvd', { tokens: 0.5, refilledAtMs: NOW - 1_000 }]]));
    expect(a.states[0]?.tokens).toBeCloseTo(2.5);
    expect(queueBudget(a, { jobType: 'scan', sourceId: 'nvd' }, 100)).toBe(2);
  });

  it('allows nothing under a pause or a concurrency cap of 0', () => {
    const a = admission(
      rules({
        quotas: [
          {
            ...quota,
            maxActive: 1,
            paused: true,
            pausedBy: 'bob',
            pausedAt: '2026-12-02T11:00:00.000Z',
            pauseReason: 'maintenance',
          },
        ],
        throttles: [{ ...throttle, jobType: 'export', maxConcurrent: 0 }],
      }),
    );
    expect(queueBudget(a, { jobType: 'scan', sourceId: null }, 100)).toBe(0);
    expect(queueBudget(a, { jobType: 'export', sourceId: 'nvd' }, 100)).toBe(0);
    expect(queueBudget(a, { jobType: 'export', sourceId: 'osv' }, 100)).toBe(100);
  });
});

describe('pickAdmitted', () => {
  it('takes turns between the queues within a priority, keeps FIFO in each, and puts priority first', () => {
    const a = admission([]);
    const { picked } = pickAdmitted(
      a,
      [
        ...candidates('scan', 'flood', 5),
        ...candidates('scan', 'small', 2, 100),
        ...candidates('scan', 'urgent', 1, 200, 5),
      ],
      5,
    );
    expect(picked.map((c) => c.jobId)).toEqual([
      'urgent-scan-200',
      'flood-scan-1',
      'small-scan-100',
      'flood-scan-2',
      'small-scan-101',
    ]);
  });

  it('debits a limit shared by several queues once per job, so the batch never exceeds it', () => {
    const a = admission(rules({ quotas: [{ ...quota, jobType: null, maxActive: 4 }] }), [
      { jobType: 'scan', sourceId: null, lane: 'live', count: 1 },
    ]);
    const { picked, granted } = pickAdmitted(
      a,
      [...candidates('scan', 'a', 3), ...candidates('export', 'b', 3, 10)],
      100,
    );
    expect(picked).toHaveLength(3);
    expect(granted.get('quota:*')).toBe(3);
  });

  it('stores each bucket less what it granted', () => {
    const r = rules({
      sources: [{ sourceId: 'a', rateLimit: { burst: 4, refillPerSecond: 1 }, maxConcurrent: null }],
      throttles: [{ ...throttle, sourceId: null, jobType: 'scan', maxPerSecond: 2.5 }],
    });
    const a = admission(r);
    const { picked, granted } = pickAdmitted(a, candidates('scan', 'a', 10), 100);
    expect(picked).toHaveLength(3); // the throttle's bucket holds ceil(2.5) = 3
    expect(bucketLevelsAfter(a, granted)).toEqual([
      { key: 'source:a', tokens: 1 },
      { key: 'throttle:t-1', tokens: 0 },
    ]);
  });
});

describe('agedPriority', () => {
  it('is the priority plus one level per minute eligible, from the ledger rank', () => {
    const eligibleAt = NOW / 1000 - 600;
    expect(agedPriority(eligibleAt - 3 * 60, NOW)).toBe(13); // priority 3, 10 minutes eligible
    expect(agedPriority(NOW / 1000 - 5 * 60, NOW)).toBe(5); // priority 5, eligible now
    expect(agedPriority(NOW / 1000 + 30, NOW)).toBe(-1); // priority 0, eligible in 30 s
  });
});

describe('the backfill lane', () => {
  const backfill = (c: LeaseCandidate[]) => c.map((x) => ({ ...x, lane: 'backfill' as const }));

  it('holds at most its share of a concurrency cap, at least one job', () => {
    const r = rules({ sources: [{ sourceId: 'a', rateLimit: null, maxConcurrent: 8 }] });
    const a = admission(r, [{ jobType: 'scan', sourceId: 'a', lane: 'backfill', count: 1 }]);
    const { picked } = pickAdmitted(
      a,
      [...backfill(candidates('scan', 'a', 5)), ...candidates('scan', 'a', 10, 100)],
      100,
    );
    expect(picked.filter((c) => c.lane === 'backfill')).toHaveLength(1); // 2 of 8, one already in flight
    expect(picked).toHaveLength(7);
    const small = admission(rules({ sources: [{ sourceId: 'a', rateLimit: null, maxConcurrent: 2 }] }));
    expect(pickAdmitted(small, backfill(candidates('scan', 'a', 5)), 100).picked).toHaveLength(1);
  });

  it('never draws a bucket below the reserve kept for live traffic, and yields to live grants first', () => {
    const r = rules({
      sources: [{ sourceId: 'a', rateLimit: { burst: 8, refillPerSecond: 1 }, maxConcurrent: null }],
    });
    const a = admission(r);
    expect(a.states[0]?.backfillRemaining).toBe(2); // 8 tokens, 6 reserved
    expect(pickAdmitted(a, backfill(candidates('scan', 'a', 5)), 100).picked).toHaveLength(2);
    const mixed = pickAdmitted(
      a,
      [...candidates('scan', 'a', 3), ...backfill(candidates('scan', 'a', 5, 50))],
      100,
    );
    // Turns alternate live and backfill: live 1, backfill 1, live 2 (6 tokens left: the reserve), live 3.
    expect(mixed.picked.map((c) => c.lane)).toEqual(['live', 'backfill', 'live', 'live']);
  });

  it('says when the lane holds a backfill job that a live job could still take', () => {
    const r = rules({ sources: [{ sourceId: 'a', rateLimit: null, maxConcurrent: 4 }] });
    const a = admission(r, [{ jobType: 'scan', sourceId: 'a', lane: 'backfill', count: 1 }]);
    expect(queueHolds(a, { jobType: 'scan', sourceId: 'a' })).toEqual([]);
    expect(queueHolds(a, { jobType: 'scan', sourceId: 'a' }, 'backfill')).toEqual([
      expect.objectContaining({
        code: 'BACKFILL_LANE_LIMIT',
        details: expect.objectContaining({ sourceId: 'a', effect: 'concurrency', backfillInFlight: 1 }),
      }),
    ]);
  });
});

describe('queueHolds', () => {
  it('says which limit holds the queue, with codes, counts and when the next token comes', () => {
    const r = rules({
      sources: [{ sourceId: 'nvd', rateLimit: { burst: 5, refillPerSecond: 10 }, maxConcurrent: 2 }],
      quotas: [{ ...quota, maxActive: 5, maxPerHour: 3600, burst: 1 }],
      throttles: [{ ...throttle, pause: true }],
    });
    const a = admission(
      r,
      [
        { jobType: 'scan', sourceId: 'nvd', lane: 'live', count: 2 },
        { jobType: 'scan', sourceId: 'osv', lane: 'live', count: 3 },
      ],
      new Map([
        ['source:nvd', { tokens: 0, refilledAtMs: NOW - 80 }],
        ['quota:scan', { tokens: 0.9, refilledAtMs: NOW }],
      ]),
    );
    const holds = queueHolds(a, { jobType: 'scan', sourceId: 'nvd' });
    expect(holds.map((h) => h.code)).toEqual([
      'QUOTA_ACTIVE_LIMIT',
      'QUOTA_RATE_LIMIT',
      'SOURCE_CONCURRENCY_LIMIT',
      'SOURCE_RATE_LIMIT',
      'THROTTLED',
    ]);
    expect(holds[0]?.message).toContain('5/5 jobs active');
    expect(holds[1]?.message).toContain('next token in 100 ms');
    expect(holds[1]?.until).toBe('2026-12-02T12:00:00.100Z');
    expect(holds[3]?.message).toContain('next token in 20 ms');
    expect(holds[4]?.message).toContain('vendor asked us to slow down (ticket OPS-7)');
    expect(holds[4]?.until).toBe(throttle.expiresAt);
    expect(queueHolds(a, { jobType: 'export', sourceId: null })).toEqual([]);
  });
});
