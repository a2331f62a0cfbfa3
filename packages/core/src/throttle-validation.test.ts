import { describe, expect, it } from 'vitest';
import {
  checkThrottleExpiry,
  checkThrottleRequest,
  checkThrottleRevoke,
  throttleExpiryMs,
  throttleRequestDigest,
  THROTTLE_LIMITS,
} from './throttle-validation.js';

const paths = (errors: readonly { path: string }[]) => errors.map((e) => e.path);
const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const DAY_MS = 86_400_000;

describe('checkThrottleRequest', () => {
  it('accepts each effect alone, on any target, with either end', () => {
    for (const request of [
      { pause: true, durationSeconds: 60 },
      { maxPerSecond: 0.001, durationSeconds: 1 },
      { maxPerSecond: THROTTLE_LIMITS.maxPerSecond, durationSeconds: THROTTLE_LIMITS.maxDurationSeconds },
      { maxConcurrent: 0, expiresAt: '2030-01-02T00:00:00Z' },
      { sourceId: 'nvd', jobType: 'scan', maxConcurrent: 1_000_000, expiresAt: '2030-01-02T00:00:00+02:00' },
    ]) {
      expect(checkThrottleRequest(request), JSON.stringify(request)).toEqual([]);
    }
  });

  it('refuses a throttle without an effect', () => {
    expect(paths(checkThrottleRequest({ durationSeconds: 60 }))).toEqual(['body']);
    expect(paths(checkThrottleRequest({ pause: false, maxPerSecond: null, durationSeconds: 60 }))).toEqual([
      'body',
    ]);
  });

  it('refuses limits out of range', () => {
    for (const maxPerSecond of [0, -1, 100_001, Number.POSITIVE_INFINITY]) {
      expect(paths(checkThrottleRequest({ maxPerSecond, durationSeconds: 60 }))).toContain('maxPerSecond');
    }
    for (const maxConcurrent of [-1, 1.5, 1_000_001]) {
      expect(paths(checkThrottleRequest({ maxConcurrent, durationSeconds: 60 }))).toContain('maxConcurrent');
    }
  });

  it('needs exactly one end, each well formed', () => {
    expect(paths(checkThrottleRequest({ pause: true }))).toEqual(['body']);
    expect(
      paths(checkThrottleRequest({ pause: true, durationSeconds: 60, expiresAt: '2030-01-02T00:00:00Z' })),
    ).toEqual(['body']);
    expect(paths(checkThrottleRequest({ pause: true, durationSeconds: 0 }))).toEqual(['durationSeconds']);
    expect(paths(checkThrottleRequest({ pause: true, durationSeconds: 2_592_001 }))).toEqual([
      'durationSeconds',
    ]);
    expect(paths(checkThrottleRequest({ pause: true, expiresAt: '2030-01-02' }))).toEqual(['expiresAt']);
    expect(paths(checkThrottleRequest({ pause: true, expiresAt: '2030-01-02T00:00:00' }))).toEqual([
      'expiresAt',
    ]);
  });

  it('checks the target’s ids', () => {
    expect(paths(checkThrottleRequest({ sourceId: 'a b', pause: true, durationSeconds: 1 }))).toEqual([
      'sourceId',
    ]);
    expect(paths(checkThrottleRequest({ jobType: '@x', pause: true, durationSeconds: 1 }))).toEqual([
      'jobType',
    ]);
  });
});

describe('throttle expiry', () => {
  it('ends a duration after now, or at expiresAt', () => {
    expect(throttleExpiryMs({ durationSeconds: 90 }, NOW)).toBe(NOW + 90_000);
    expect(throttleExpiryMs({ expiresAt: '2030-01-01T01:00:00+01:00' }, NOW)).toBe(NOW);
  });

  it('must be after now and at most 30 days later, by the clock given', () => {
    expect(checkThrottleExpiry(NOW + 1, NOW)).toEqual([]);
    expect(checkThrottleExpiry(NOW + 30 * DAY_MS, NOW)).toEqual([]);
    expect(checkThrottleExpiry(NOW, NOW)).toEqual([{ path: 'expiresAt', message: 'must be in the future' }]);
    expect(checkThrottleExpiry(NOW - 1, NOW)).toHaveLength(1);
    expect(checkThrottleExpiry(NOW + 30 * DAY_MS + 1, NOW)).toEqual([
      { path: 'expiresAt', message: 'must be at most 30 days from now' },
    ]);
  });
});

describe('checkThrottleRevoke and throttleRequestDigest', () => {
  it('takes an optional reason under the operator policy', () => {
    expect(checkThrottleRevoke({})).toEqual([]);
    expect(checkThrottleRevoke({ reason: 'recovered' })).toEqual([]);
    expect(paths(checkThrottleRevoke({ reason: '' }))).toEqual(['reason']);
  });

  it('digests the request as asked: the same instant in another offset is the same request', () => {
    const digest = throttleRequestDigest({ pause: true, expiresAt: '2030-01-01T00:00:00Z' });
    expect(throttleRequestDigest({ pause: true, expiresAt: '2030-01-01T01:00:00+01:00' })).toBe(digest);
    expect(throttleRequestDigest({ pause: true, durationSeconds: 60 })).not.toBe(digest);
    expect(throttleRequestDigest({ pause: true, durationSeconds: 60, jobType: null })).toBe(
      throttleRequestDigest({ pause: true, durationSeconds: 60 }),
    );
  });
});
