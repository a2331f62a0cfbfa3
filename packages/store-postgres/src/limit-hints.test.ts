import { describe, expect, it } from 'vitest';
import { LimitHints } from './limit-hints.js';

describe('LimitHints', () => {
  it('remembers a limited tenant for ten seconds, and forgets it when told it has none', () => {
    const hints = new LimitHints();
    expect(hints.limited('t1', 0)).toBe(false);
    hints.remember('t1', true, 0);
    expect(hints.limited('t1', 9_999)).toBe(true);
    expect(hints.limited('t1', 10_000)).toBe(false);
    hints.remember('t1', true, 20_000);
    hints.remember('t1', false, 20_001);
    expect(hints.limited('t1', 20_002)).toBe(false);
    expect(hints.limited('t2', 20_002)).toBe(false);
  });
});
