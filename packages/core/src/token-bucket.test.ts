import { describe, expect, it } from 'vitest';
import { msUntilNextToken, tokensAt } from './token-bucket.js';

const bucket = { capacity: 10, refillPerSecond: 2 };

describe('tokensAt', () => {
  it('is full without a stored level', () => {
    expect(tokensAt(bucket, undefined, 1_000)).toBe(10);
  });

  it('refills at the rate since the stored level, up to the capacity', () => {
    expect(tokensAt(bucket, { tokens: 1, refilledAtMs: 1_000 }, 2_500)).toBeCloseTo(4);
    expect(tokensAt(bucket, { tokens: 1, refilledAtMs: 1_000 }, 60_000)).toBe(10);
  });

  it('caps a level stored under a higher capacity, and treats a future level as written now', () => {
    expect(tokensAt(bucket, { tokens: 50, refilledAtMs: 1_000 }, 1_000)).toBe(10);
    expect(tokensAt(bucket, { tokens: 3, refilledAtMs: 5_000 }, 1_000)).toBe(3);
  });
});

describe('msUntilNextToken', () => {
  it('is 0 with a whole token, else the time the missing fraction takes to refill, rounded up', () => {
    expect(msUntilNextToken(bucket, 1)).toBe(0);
    expect(msUntilNextToken(bucket, 0.5)).toBe(250);
    expect(msUntilNextToken({ capacity: 1, refillPerSecond: 3 }, 0)).toBe(334);
  });
});
