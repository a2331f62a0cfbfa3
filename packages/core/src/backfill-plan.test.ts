import { describe, expect, it } from 'vitest';
import {
  backfillJobPayload,
  backfillRequestDigest,
  backfillStep,
  backfillSteps,
  formatStep,
  parseStepSeconds,
  planBackfill,
  type BackfillRequest,
} from './backfill-plan.js';
import { backfillProgress, estimateBackfillDuration } from './backfill.js';

const REQUEST: BackfillRequest = {
  sourceId: 'nvd',
  jobType: 'reingest',
  windowStart: '2024-03-09T00:00:00Z',
  windowEnd: '2024-03-12T00:00:00Z',
  step: 'P1D',
};

describe('backfill steps', () => {
  it.each([
    ['PT1H', 3_600],
    ['PT90M', 5_400],
    ['P1D', 86_400],
    ['P1DT12H', 129_600],
    ['P2W', 1_209_600],
    ['PT1H30M15S', 5_415],
    [60, 60],
  ] as const)('reads %s as %d seconds', (step, seconds) => {
    expect(parseStepSeconds(step)).toBe(seconds);
  });

  it.each(['P', 'PT', 'P1M', 'P1Y', 'PT1.5H', '1h', 'P1DT', '-PT1H', 'P1W2D'])('refuses %s', (step) => {
    expect(parseStepSeconds(step)).toBeNull();
  });

  it('formats seconds in their largest whole units', () => {
    expect([86_400, 3_600, 5_400, 129_600, 61].map(formatStep)).toEqual([
      'P1D',
      'PT1H',
      'PT1H30M',
      'P1DT12H',
      'PT1M1S',
    ]);
  });

  it('splits the window in UTC, a day being 86,400 s across a DST change, the last step cut at the end', () => {
    // 2024-03-10 is the US spring-forward day: UTC arithmetic ignores it.
    const { plan } = planBackfill(REQUEST, 100);
    expect(plan).toMatchObject({ jobCount: 3, stepSeconds: 86_400 });
    expect(plan === null ? [] : backfillSteps(plan)).toEqual([
      { start: '2024-03-09T00:00:00.000Z', end: '2024-03-10T00:00:00.000Z' },
      { start: '2024-03-10T00:00:00.000Z', end: '2024-03-11T00:00:00.000Z' },
      { start: '2024-03-11T00:00:00.000Z', end: '2024-03-12T00:00:00.000Z' },
    ]);
    const uneven = planBackfill({ ...REQUEST, windowEnd: '2024-03-09T10:00:00+02:00', step: 'PT3H' }, 100);
    expect(uneven.plan?.jobCount).toBe(3);
    expect(uneven.plan === null ? null : backfillStep(uneven.plan, 2)).toEqual({
      start: '2024-03-09T06:00:00.000Z',
      end: '2024-03-09T08:00:00.000Z',
    });
  });

  it('counts the steps without making them, and says when they are too many', () => {
    const huge = planBackfill({ ...REQUEST, windowStart: '1970-01-01T00:00:00Z', step: 1 }, 10_000);
    expect(huge).toMatchObject({ errors: [], tooMany: true });
    expect(huge.plan?.jobCount).toBe(1_710_201_600);
    expect(planBackfill(REQUEST, 3).tooMany).toBe(false);
    expect(planBackfill(REQUEST, 2).tooMany).toBe(true);
  });

  it('names every bad field', () => {
    const { errors, plan } = planBackfill(
      {
        sourceId: ' bad',
        jobType: '',
        windowStart: '2024-03-12',
        windowEnd: 'tomorrow',
        step: 'P1M',
        payload: [1],
        priority: 5_000,
        maxAttempts: 0,
      },
      100,
    );
    expect(plan).toBeNull();
    expect(errors.map((e) => e.path)).toEqual([
      'sourceId',
      'jobType',
      'windowStart',
      'windowEnd',
      'step',
      'payload',
      'priority',
      'maxAttempts',
    ]);
    const backwards = planBackfill({ ...REQUEST, windowEnd: REQUEST.windowStart }, 100);
    expect(backwards.errors).toEqual([{ path: 'windowEnd', message: 'must be after windowStart' }]);
    expect(planBackfill({ ...REQUEST, step: 0 }, 100).errors.map((e) => e.path)).toEqual(['step']);
    expect(planBackfill({ ...REQUEST, payload: { window: 1 } }, 100).errors.map((e) => e.path)).toEqual([
      'payload.window',
    ]);
  });

  it('adds the step window to the payload template, and digests the request as planned', () => {
    const step = { start: 'a', end: 'b' };
    expect(backfillJobPayload({ feed: 'nvd' }, step)).toEqual({ feed: 'nvd', window: step });
    expect(backfillJobPayload(undefined, step)).toEqual({ window: step });
    const { plan } = planBackfill(REQUEST, 100);
    const { plan: same } = planBackfill(
      { ...REQUEST, windowStart: '2024-03-09T01:00:00+01:00', step: 86_400 },
      100,
    );
    if (plan === null || same === null) throw new Error('plans expected');
    expect(backfillRequestDigest(REQUEST, plan)).toBe(backfillRequestDigest(REQUEST, same));
    expect(backfillRequestDigest({ ...REQUEST, dryRun: true }, plan)).toBe(
      backfillRequestDigest(REQUEST, plan),
    );
    expect(backfillRequestDigest({ ...REQUEST, priority: 1 }, plan)).not.toBe(
      backfillRequestDigest(REQUEST, plan),
    );
  });
});

describe('the backfill estimate', () => {
  const history = { sampledJobs: 10, meanDurationMs: 2_000, observedConcurrency: 4 };

  it('is jobs × mean ÷ concurrency from history', () => {
    expect(estimateBackfillDuration(100, history, null)).toMatchObject({
      durationMs: 50_000,
      basis: 'history',
      meanJobDurationMs: 2_000,
      observedConcurrency: 4,
      rateLimitPerSecond: null,
    });
  });

  it('is at least jobs ÷ the stored refill rate', () => {
    expect(estimateBackfillDuration(100, history, { burst: 5, refillPerSecond: 1 })).toMatchObject({
      durationMs: 100_000,
      basis: 'history_and_rate_limit',
    });
    expect(estimateBackfillDuration(100, history, { burst: 5, refillPerSecond: 100 }).durationMs).toBe(
      50_000,
    );
    const noHistory = { sampledJobs: 0, meanDurationMs: null, observedConcurrency: null };
    expect(estimateBackfillDuration(10, noHistory, { burst: 1, refillPerSecond: 0.5 })).toMatchObject({
      durationMs: 20_000,
      basis: 'rate_limit',
    });
  });

  it('says so when there is nothing to estimate from; concurrency below one counts as one', () => {
    const none = estimateBackfillDuration(
      10,
      { sampledJobs: 0, meanDurationMs: null, observedConcurrency: null },
      null,
    );
    expect(none).toMatchObject({ durationMs: null, basis: 'none' });
    expect(none.note).toContain('no succeeded job');
    expect(
      estimateBackfillDuration(10, { sampledJobs: 1, meanDurationMs: 100, observedConcurrency: 0.5 }, null)
        .durationMs,
    ).toBe(1_000);
  });

  it('progress counts terminal jobs', () => {
    expect(backfillProgress(3, { succeeded: 1, failed: 1, running: 1 }, null)).toEqual({
      counts: { succeeded: 1, failed: 1, running: 1 },
      finished: 2,
      percentDone: 66.6,
      watermark: null,
    });
  });
});
