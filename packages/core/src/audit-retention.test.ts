import { describe, expect, it } from 'vitest';
import {
  auditRetentionCutoffMs,
  auditRetentionWindow,
  checkAuditRetentionPolicy,
  oldAuditPrefixLength,
} from './audit-retention.js';

const DAY_MS = 86_400_000;

describe('checkAuditRetentionPolicy', () => {
  it('accepts whole days from 1 to 36500, under the path given', () => {
    expect(checkAuditRetentionPolicy({ maxAgeDays: 1 })).toEqual([]);
    expect(checkAuditRetentionPolicy({ maxAgeDays: 36_500 })).toEqual([]);
    for (const maxAgeDays of [0, 36_501, 1.5, Number.NaN]) {
      expect(checkAuditRetentionPolicy({ maxAgeDays }, 'tenantMaxAgeDays.t1')).toEqual([
        { path: 'tenantMaxAgeDays.t1', message: 'must be an integer from 1 to 36500' },
      ]);
    }
  });
});

describe('auditRetentionCutoffMs', () => {
  it('is now minus the policy’s days', () => {
    expect(auditRetentionCutoffMs({ maxAgeDays: 30 }, 100 * DAY_MS)).toBe(70 * DAY_MS);
  });
});

describe('auditRetentionWindow', () => {
  it('runs from the first entry in the ledger to the one before the head, at most maxEntries', () => {
    expect(auditRetentionWindow({ firstSequence: 1, lastSequence: 10 }, 100)).toEqual({
      fromSequence: 1,
      throughSequence: 9,
    });
    expect(auditRetentionWindow({ firstSequence: 4, lastSequence: 10 }, 3)).toEqual({
      fromSequence: 4,
      throughSequence: 6,
    });
  });

  it('is null when the ledger holds nothing but the latest entry, or nothing', () => {
    expect(auditRetentionWindow({ firstSequence: 10, lastSequence: 10 }, 100)).toBeNull();
    expect(auditRetentionWindow({ firstSequence: 1, lastSequence: 0 }, 100)).toBeNull();
  });
});

describe('oldAuditPrefixLength', () => {
  const at = (...days: number[]) => days.map((d) => ({ occurredAt: new Date(d * DAY_MS).toISOString() }));

  it('counts the entries before the cutoff up to the first that is not', () => {
    expect(oldAuditPrefixLength(at(1, 2, 3), 10 * DAY_MS)).toBe(3);
    expect(oldAuditPrefixLength(at(1, 2, 10, 11), 10 * DAY_MS)).toBe(2);
    expect(oldAuditPrefixLength(at(1, 12, 2), 10 * DAY_MS)).toBe(1);
    expect(oldAuditPrefixLength(at(10), 10 * DAY_MS)).toBe(0);
    expect(oldAuditPrefixLength([], 10 * DAY_MS)).toBe(0);
  });
});
