import { describe, expect, it } from 'vitest';
import { backoffDelayMs, delay, parseRetryAfterMs } from './backoff.js';

describe('backoffDelayMs', () => {
  const policy = { initialDelayMs: 100, maxDelayMs: 1_000 };

  it('doubles per retry with jitter between half and all of the delay', () => {
    expect(backoffDelayMs(policy, 1, 0)).toBe(50);
    expect(backoffDelayMs(policy, 1, 0.999)).toBe(100);
    expect(backoffDelayMs(policy, 3, 0.999)).toBe(400);
  });

  it('is capped at maxDelayMs', () => {
    expect(backoffDelayMs(policy, 50, 0.999)).toBe(1_000);
  });
});

describe('parseRetryAfterMs', () => {
  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfterMs('3')).toBe(3_000);
    expect(parseRetryAfterMs('0')).toBe(0);
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfterMs('Tue, 01 Jan 2030 00:00:05 GMT', now)).toBe(5_000);
  });

  it('ignores absent and unreadable values', () => {
    expect(parseRetryAfterMs(null)).toBeUndefined();
    expect(parseRetryAfterMs('soon')).toBeUndefined();
  });
});

describe('delay', () => {
  it('rejects with the abort reason', async () => {
    const controller = new AbortController();
    const waiting = delay(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});
