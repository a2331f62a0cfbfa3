import { describe, expect, it } from 'vitest';
import {
  checkQuotaDefinition,
  checkQuotaLimits,
  checkQuotaPause,
  quotaRequestDigest,
  QUOTA_LIMITS,
} from './quota-validation.js';

const paths = (errors: readonly { path: string }[]) => errors.map((e) => e.path);

describe('checkQuotaLimits', () => {
  it('accepts a cap, an hourly rate, both, and a burst with the rate, at their bounds', () => {
    for (const limits of [
      { maxActive: 1 },
      { maxActive: QUOTA_LIMITS.maxActive },
      { maxPerHour: 1 },
      { maxPerHour: QUOTA_LIMITS.maxPerHour, burst: QUOTA_LIMITS.maxBurst },
      { maxActive: 5, maxPerHour: 60, burst: 1 },
      { maxActive: 5, maxPerHour: null, burst: null },
    ]) {
      expect(checkQuotaLimits(limits), JSON.stringify(limits)).toEqual([]);
    }
  });

  it('refuses values out of range or not whole, naming the field', () => {
    expect(paths(checkQuotaLimits({ maxActive: 0 }))).toEqual(['maxActive']);
    expect(paths(checkQuotaLimits({ maxActive: -1 }))).toEqual(['maxActive']);
    expect(paths(checkQuotaLimits({ maxActive: 1.5 }))).toEqual(['maxActive']);
    expect(paths(checkQuotaLimits({ maxActive: QUOTA_LIMITS.maxActive + 1 }))).toEqual(['maxActive']);
    expect(paths(checkQuotaLimits({ maxPerHour: QUOTA_LIMITS.maxPerHour + 1 }))).toEqual(['maxPerHour']);
    expect(paths(checkQuotaLimits({ maxPerHour: Number.NaN }))).toEqual(['maxPerHour']);
    expect(paths(checkQuotaLimits({ maxPerHour: 10, burst: 0 }))).toEqual(['burst']);
    expect(paths(checkQuotaLimits({ maxActive: '5' as unknown as number }))).toEqual(['maxActive']);
  });

  it('refuses a quota that limits nothing, and a burst without an hourly rate', () => {
    expect(checkQuotaLimits({})).toEqual([
      { path: 'body', message: 'must give maxActive, maxPerHour or both' },
    ]);
    expect(paths(checkQuotaLimits({ maxActive: null, maxPerHour: null }))).toEqual(['body']);
    expect(paths(checkQuotaLimits({ maxActive: 3, burst: 10 }))).toEqual(['burst']);
  });
});

describe('checkQuotaDefinition', () => {
  it('takes a job type of the job-submission rule, or none (the whole tenant)', () => {
    expect(checkQuotaDefinition({ jobType: 'nvd.scan:v2/full', maxActive: 1 })).toEqual([]);
    expect(checkQuotaDefinition({ jobType: null, maxActive: 1 })).toEqual([]);
    expect(paths(checkQuotaDefinition({ jobType: '-leading', maxActive: 1 }))).toEqual(['jobType']);
    expect(paths(checkQuotaDefinition({ jobType: 'x'.repeat(129), maxActive: 1 }))).toEqual(['jobType']);
    expect(paths(checkQuotaDefinition({ jobType: 'a b' }))).toEqual(['jobType', 'body']);
  });
});

describe('checkQuotaPause', () => {
  it('needs a reason; the ticket is optional; both under the operator text policy', () => {
    expect(checkQuotaPause({ reason: 'over budget' })).toEqual([]);
    expect(checkQuotaPause({ reason: 'over budget', ticket: 'FIN-1' })).toEqual([]);
    expect(paths(checkQuotaPause({ reason: '' }))).toEqual(['reason']);
    expect(paths(checkQuotaPause({ reason: 'r', ticket: 'a\nb' }))).toEqual(['ticket']);
    expect(paths(checkQuotaPause({ reason: 'r'.repeat(257) }))).toEqual(['reason']);
  });
});

describe('quotaRequestDigest', () => {
  it('counts absent and null the same, and differs with any limit', () => {
    const digest = quotaRequestDigest({ maxActive: 5 });
    expect(quotaRequestDigest({ maxActive: 5, maxPerHour: null, burst: null, jobType: null })).toBe(digest);
    expect(quotaRequestDigest({ maxActive: 6 })).not.toBe(digest);
    expect(quotaRequestDigest({ maxActive: 5, jobType: 'scan' })).not.toBe(digest);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
