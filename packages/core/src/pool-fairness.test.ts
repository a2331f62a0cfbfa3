import { describe, expect, it } from 'vitest';
import {
  dealAcrossTenants,
  EMPTY_POOL_CURSOR,
  tenantWeight,
  type PoolCursor,
  type TenantWeights,
} from './pool-fairness.js';

/** Deals `rounds` batches in a row, carrying the cursor; the jobs each tenant got in total. */
function dealRounds(
  tenants: readonly string[],
  limit: number,
  rounds: number,
  weights: TenantWeights = {},
): Record<string, number> {
  let cursor: PoolCursor = EMPTY_POOL_CURSOR;
  const totals: Record<string, number> = {};
  for (let round = 0; round < rounds; round++) {
    const deal = dealAcrossTenants(tenants, limit, weights, cursor);
    expect(deal.shares.reduce((sum, s) => sum + s.share, 0)).toBe(limit);
    for (const { tenantId, share } of deal.shares) totals[tenantId] = (totals[tenantId] ?? 0) + share;
    cursor = deal.cursor;
  }
  return totals;
}

describe('dealAcrossTenants', () => {
  it('splits a batch evenly between tenants of equal weight', () => {
    const deal = dealAcrossTenants(['b', 'a'], 10, {}, EMPTY_POOL_CURSOR);
    expect(deal.shares).toEqual([
      { tenantId: 'a', share: 5 },
      { tenantId: 'b', share: 5 },
    ]);
    expect(deal.cursor).toEqual({ after: 'b', credits: { a: 0, b: 0 } });
  });

  it('gives shares proportional to the weights, the rest of a fraction to the one owed most', () => {
    expect(dealAcrossTenants(['a', 'b'], 8, { a: 3 }, EMPTY_POOL_CURSOR).shares).toEqual([
      { tenantId: 'a', share: 6 },
      { tenantId: 'b', share: 2 },
    ]);
    // 300 jobs by weights 2 : 1 : 0.5 is 171.4 : 85.7 : 42.9; whole jobs stay within one of that.
    const totals = dealRounds(['a', 'b', 'c'], 10, 30, { a: 2, c: 0.5 });
    expect(Math.abs((totals['a'] ?? 0) - 3000 / 17.5)).toBeLessThan(1);
    expect(Math.abs((totals['b'] ?? 0) - 1500 / 17.5)).toBeLessThan(1);
    expect(Math.abs((totals['c'] ?? 0) - 750 / 17.5)).toBeLessThan(1);
  });

  it('carries what a tenant is owed across deals, so shares below one job add up', () => {
    const tenants = Array.from({ length: 25 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    const totals = dealRounds(tenants, 10, 20);
    // 200 jobs over 25 tenants of equal weight: 8 each, whatever the batch size.
    expect(Object.values(totals)).toHaveLength(25);
    for (const total of Object.values(totals)) expect(total).toBe(8);
  });

  it('starts after the tenant served last, so a batch smaller than the pool rotates through it', () => {
    const first = dealAcrossTenants(['a', 'b', 'c', 'd'], 2, {}, EMPTY_POOL_CURSOR);
    expect(first.shares.map((s) => s.tenantId)).toEqual(['a', 'b']);
    expect(first.cursor.after).toBe('b');
    const second = dealAcrossTenants(['a', 'b', 'c', 'd'], 2, {}, first.cursor);
    expect(second.shares.map((s) => s.tenantId)).toEqual(['c', 'd']);
    // Serving order wraps around after the cursor, even for a tenant the cursor does not know.
    const wrapped = dealAcrossTenants(['a', 'b', 'c'], 3, {}, { after: 'bb', credits: {} });
    expect(wrapped.shares.map((s) => s.tenantId)).toEqual(['c', 'a', 'b']);
  });

  it('forgets a tenant with no ready work: idleness earns no credit', () => {
    const owed: PoolCursor = { after: null, credits: { a: 3, gone: 7 } };
    const deal = dealAcrossTenants(['a', 'b'], 4, {}, owed);
    expect(deal.shares).toEqual([{ tenantId: 'a', share: 4 }]);
    expect(Object.keys(deal.cursor.credits).sort()).toEqual(['a', 'b']);
    expect(deal.cursor.credits['a']).toBeCloseTo(1);
    expect(deal.cursor.credits['b']).toBeCloseTo(2);
    // Nothing to deal keeps the credits of the tenants still there.
    expect(dealAcrossTenants(['a'], 0, {}, owed).cursor).toEqual({ after: null, credits: { a: 3 } });
    expect(dealAcrossTenants([], 5, {}, owed)).toEqual({ shares: [], cursor: { after: null, credits: {} } });
  });

  it('deals the rest of a tenant that ran dry over the others (the second pass of a pool lease)', () => {
    // a had 1 ready job of its 5: the 4 left go to the tenants that filled their shares.
    const first = dealAcrossTenants(['a', 'b', 'c'], 15, {}, EMPTY_POOL_CURSOR);
    expect(first.shares.map((s) => s.share)).toEqual([5, 5, 5]);
    const rest = dealAcrossTenants(['b', 'c'], 4, {}, first.cursor);
    expect(rest.shares).toEqual([
      { tenantId: 'b', share: 2 },
      { tenantId: 'c', share: 2 },
    ]);
    expect(Object.keys(rest.cursor.credits)).toEqual(['b', 'c']);
  });

  it('lets a flood of one tenant take no more than its share while another tenant waits', () => {
    // 10,000 ready jobs of A, 10 of B, batches of 10: B is served in the first batches.
    let cursor = EMPTY_POOL_CURSOR;
    let bLeft = 10;
    let batches = 0;
    while (bLeft > 0) {
      batches++;
      const tenants = ['A', 'B'];
      const deal = dealAcrossTenants(tenants, 10, {}, cursor);
      bLeft -= Math.min(bLeft, deal.shares.find((s) => s.tenantId === 'B')?.share ?? 0);
      cursor = deal.cursor;
    }
    expect(batches).toBe(2);
  });

  it('bounds the credit carried over, and treats a bad limit as nothing to deal', () => {
    const deal = dealAcrossTenants(['a', 'b'], 2, {}, { after: null, credits: { a: 1e9, b: -1e9 } });
    expect(deal.shares).toEqual([{ tenantId: 'a', share: 2 }]);
    expect(deal.cursor.credits).toEqual({ a: 6, b: -8 });
    expect(dealAcrossTenants(['a'], Number.NaN, {}, EMPTY_POOL_CURSOR).shares).toEqual([]);
    expect(dealAcrossTenants(['a'], 2.7, {}, EMPTY_POOL_CURSOR).shares).toEqual([
      { tenantId: 'a', share: 2 },
    ]);
  });
});

describe('tenantWeight', () => {
  it('is the configured weight, else 1 (also for a weight that is not a positive number)', () => {
    const weights = { a: 2.5, zero: 0, negative: -1, nan: Number.NaN };
    expect(tenantWeight(weights, 'a')).toBe(2.5);
    expect(tenantWeight(weights, 'other')).toBe(1);
    expect(tenantWeight(weights, 'zero')).toBe(1);
    expect(tenantWeight(weights, 'negative')).toBe(1);
    expect(tenantWeight(weights, 'nan')).toBe(1);
    expect(tenantWeight(weights, 'constructor')).toBe(1);
  });
});
