import { describe, expect, it } from 'vitest';
import { DEFAULT_SLO_ALERT_POLICY } from './slo.js';
import { decideIncident } from './slo-incident.js';

const rates = (oneHour: number, sixHours: number) => ({ '1h': oneHour, '6h': sixHours, '24h': 0, '30d': 0 });
const policy = DEFAULT_SLO_ALERT_POLICY;

describe('decideIncident (14.4 over 1 h, 6 over 6 h)', () => {
  it('opens on the fast burn, the slow burn, or both', () => {
    expect(decideIncident(rates(14.5, 1), policy, false)).toEqual({ action: 'open', trigger: 'fast' });
    expect(decideIncident(rates(2, 6.1), policy, false)).toEqual({ action: 'open', trigger: 'slow' });
    expect(decideIncident(rates(20, 7), policy, false)).toEqual({ action: 'open', trigger: 'fast+slow' });
  });

  it('does not open at or below the thresholds', () => {
    expect(decideIncident(rates(14.4, 6), policy, false)).toEqual({ action: 'none' });
    expect(decideIncident(rates(0, 0), policy, false)).toEqual({ action: 'none' });
  });

  it('keeps an open incident while any window is above 90 % of its threshold', () => {
    expect(decideIncident(rates(13, 1), policy, true)).toEqual({ action: 'none' });
    expect(decideIncident(rates(1, 5.5), policy, true)).toEqual({ action: 'none' });
    expect(decideIncident(rates(20, 7), policy, true)).toEqual({ action: 'none' });
  });

  it('resolves once every window is at or below 90 % of its threshold', () => {
    expect(decideIncident(rates(12.96, 5.4), policy, true)).toEqual({ action: 'resolve' });
    expect(decideIncident(rates(0, 0), policy, true)).toEqual({ action: 'resolve' });
  });

  it('uses the SLO’s own thresholds', () => {
    const strict = { fastBurnThreshold: 2, slowBurnThreshold: 1 };
    expect(decideIncident(rates(2.5, 0.5), strict, false)).toEqual({ action: 'open', trigger: 'fast' });
    expect(decideIncident(rates(1.7, 0.95), strict, true)).toEqual({ action: 'none' });
    expect(decideIncident(rates(1.8, 0.9), strict, true)).toEqual({ action: 'resolve' });
  });
});
