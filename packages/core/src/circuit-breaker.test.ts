import { describe, expect, it } from 'vitest';
import { admit, pickAdmitted } from './admission.js';
import { queueHolds } from './queue-holds.js';
import { DEFAULT_CIRCUIT_SETTINGS, circuitEventType, nextCircuitState } from './circuit-breaker.js';
import { limitRules } from './limit-rules.js';

const NOW = Date.parse('2026-12-02T12:00:00.000Z');
const settings = {
  ...DEFAULT_CIRCUIT_SETTINGS,
  minVolume: 10,
  failureRatio: 0.5,
  coolDownSeconds: 30,
  probeLeases: 2,
};
const none = { successes: 0, failures: 0 };

describe('nextCircuitState', () => {
  it('opens a closed breaker at the failure ratio once the volume is reached, not before', () => {
    const closed = { ...settings, state: 'closed' as const, openUntil: null };
    expect(nextCircuitState(closed, { successes: 0, failures: 9 }, none, NOW)).toBeNull();
    expect(nextCircuitState(closed, { successes: 6, failures: 4 }, none, NOW)).toBeNull();
    expect(nextCircuitState(closed, { successes: 5, failures: 5 }, none, NOW)).toEqual({
      from: 'closed',
      to: 'open',
      openUntil: '2026-12-02T12:00:30.000Z',
      reason: '5 of 10 attempts failed in 60 s (50 % ≥ 50 %)',
      counts: { successes: 5, failures: 5 },
    });
  });

  it('turns half-open after the cool-down, closes after the probes succeed, reopens on a failed probe', () => {
    const open = { ...settings, state: 'open' as const, openUntil: '2026-12-02T12:00:30.000Z' };
    expect(nextCircuitState(open, { successes: 0, failures: 50 }, none, NOW)).toBeNull();
    expect(nextCircuitState(open, none, none, NOW + 30_000)?.to).toBe('half_open');
    const half = { ...settings, state: 'half_open' as const, openUntil: null };
    expect(nextCircuitState(half, none, { successes: 1, failures: 0 }, NOW)).toBeNull();
    expect(nextCircuitState(half, none, { successes: 2, failures: 0 }, NOW)?.to).toBe('closed');
    expect(nextCircuitState(half, none, { successes: 1, failures: 1 }, NOW)).toMatchObject({
      to: 'open',
      reason: 'a probe failed',
      openUntil: '2026-12-02T12:00:30.000Z',
    });
    expect(['open', 'half_open', 'closed'].map((s) => circuitEventType(s as 'open'))).toEqual([
      'circuit.opened',
      'circuit.half_opened',
      'circuit.closed',
    ]);
  });
});

describe('breakers at the lease grant', () => {
  const breaker = {
    breakerId: 'b-1',
    sourceId: 'nvd',
    jobType: null,
    probeLeases: 2,
    stateChangedAt: '2026-12-02T11:59:50.000Z',
  };
  const queue = { jobType: 'scan', sourceId: 'nvd' };

  it('holds its scope while open, with the time it opens again, and lets probes through after the cool-down', () => {
    const open = { ...breaker, state: 'open' as const, openUntil: '2026-12-02T12:00:20.000Z' };
    const a = admit({
      rules: limitRules({ sources: [], quotas: [], throttles: [], breakers: [open], nowMs: NOW }),
      levels: new Map(),
      inFlight: [],
      nowMs: NOW,
      backfillShare: 0.25,
    });
    expect(queueHolds(a, queue)).toEqual([
      expect.objectContaining({ code: 'CIRCUIT_OPEN', until: '2026-12-02T12:00:20.000Z' }),
    ]);
    expect(queueHolds(a, { jobType: 'scan', sourceId: 'osv' })).toEqual([]);

    const later = NOW + 30_000;
    const probing = admit({
      rules: limitRules({ sources: [], quotas: [], throttles: [], breakers: [open], nowMs: later }),
      levels: new Map(),
      inFlight: [{ jobType: 'scan', sourceId: 'nvd', lane: 'live', count: 1 }],
      nowMs: later,
      backfillShare: 0.25,
    });
    const candidates = Array.from({ length: 5 }, (_, i) => ({
      jobId: `j${i}`,
      lane: 'live' as const,
      priority: 0,
      seq: i,
      ...queue,
    }));
    expect(pickAdmitted(probing, candidates, 10).picked).toHaveLength(1);
    const closed = limitRules({
      sources: [],
      quotas: [],
      throttles: [],
      breakers: [{ ...breaker, state: 'closed', openUntil: null }],
      nowMs: NOW,
    });
    expect(closed).toEqual([]);
  });
});
