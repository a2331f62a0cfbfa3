import { describe, expect, it } from 'vitest';
import { LeasePathHints } from './lease-path-hints.js';

describe('LeasePathHints', () => {
  it("remembers a tenant's lease path for ten seconds; unknown or expired is plain", () => {
    const hints = new LeasePathHints();
    expect(hints.path('t1', 0)).toBe('plain');
    hints.remember('t1', 'limited', 0);
    expect(hints.path('t1', 9_999)).toBe('limited');
    expect(hints.path('t1', 10_000)).toBe('plain');
    hints.remember('t1', 'fair', 20_000);
    expect(hints.path('t1', 20_001)).toBe('fair');
    hints.remember('t1', 'plain', 20_002);
    expect(hints.path('t1', 20_003)).toBe('plain');
    expect(hints.path('t2', 20_003)).toBe('plain');
  });
});
