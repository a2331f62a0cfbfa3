import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_SETTINGS, type CircuitBreaker } from './circuit-breaker.js';
import { circuitResetEvent } from './circuit-breaker-reset.js';
import {
  checkCircuitBreakerDefinition,
  checkCircuitBreakerUpdate,
  circuitBreakerRequestDigest,
  circuitBreakerSettingsOf,
  type CircuitBreakerDefinition,
} from './circuit-breaker-validation.js';

const paths = (input: CircuitBreakerDefinition) => checkCircuitBreakerDefinition(input).map((e) => e.path);

describe('checkCircuitBreakerDefinition', () => {
  it('takes exactly one of a source and a job type, with or without settings', () => {
    expect(paths({ sourceId: 'nvd' })).toEqual([]);
    expect(paths({ jobType: 'scan', sourceId: null })).toEqual([]);
    expect(
      paths({
        jobType: 'scan',
        failureRatio: 1,
        minVolume: 1_000_000,
        windowSeconds: 10,
        coolDownSeconds: 86_400,
        probeLeases: 1_000,
      }),
    ).toEqual([]);
    expect(paths({})).toEqual(['body']);
    expect(paths({ sourceId: null, jobType: null })).toEqual(['body']);
    expect(paths({ sourceId: 'nvd', jobType: 'scan' })).toEqual(['body']);
  });

  it('refuses malformed scopes and every setting out of its bounds', () => {
    expect(paths({ sourceId: ' spaced ' })).toEqual(['sourceId']);
    expect(paths({ jobType: '-scan' })).toEqual(['jobType']);
    for (const failureRatio of [0, -0.1, 1.01, 2, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(paths({ jobType: 'scan', failureRatio }), String(failureRatio)).toEqual(['failureRatio']);
    }
    const bad: [CircuitBreakerDefinition, string][] = [
      [{ minVolume: 0 }, 'minVolume'],
      [{ minVolume: 1_000_001 }, 'minVolume'],
      [{ minVolume: 2.5 }, 'minVolume'],
      [{ windowSeconds: 9 }, 'windowSeconds'],
      [{ windowSeconds: 86_401 }, 'windowSeconds'],
      [{ coolDownSeconds: 0 }, 'coolDownSeconds'],
      [{ coolDownSeconds: 86_401 }, 'coolDownSeconds'],
      [{ probeLeases: 0 }, 'probeLeases'],
      [{ probeLeases: 1_001 }, 'probeLeases'],
    ];
    for (const [settings, path] of bad) {
      expect(paths({ jobType: 'scan', ...settings }), JSON.stringify(settings)).toEqual([path]);
    }
    const wrongType = { jobType: 'scan', minVolume: '5' } as unknown as CircuitBreakerDefinition;
    expect(paths(wrongType)).toEqual(['minVolume']);
  });
});

describe('checkCircuitBreakerUpdate', () => {
  it('needs at least one setting, each within bounds', () => {
    expect(checkCircuitBreakerUpdate({}).map((e) => e.path)).toEqual(['body']);
    expect(checkCircuitBreakerUpdate({ probeLeases: 3 })).toEqual([]);
    expect(checkCircuitBreakerUpdate({ failureRatio: 0 }).map((e) => e.path)).toEqual(['failureRatio']);
  });
});

describe('circuitBreakerSettingsOf and circuitBreakerRequestDigest', () => {
  it('fills the settings not given from the defaults, or from the current settings', () => {
    expect(circuitBreakerSettingsOf({ jobType: 'scan' } as CircuitBreakerDefinition)).toEqual(
      DEFAULT_CIRCUIT_SETTINGS,
    );
    const current = { ...DEFAULT_CIRCUIT_SETTINGS, minVolume: 5, probeLeases: 3 };
    expect(circuitBreakerSettingsOf({ failureRatio: 0.25 }, current)).toEqual({
      ...current,
      failureRatio: 0.25,
    });
  });

  it('digests absent and null alike, and a setting given apart from one left to its default', () => {
    expect(circuitBreakerRequestDigest({ jobType: 'scan' })).toBe(
      circuitBreakerRequestDigest({ jobType: 'scan', sourceId: null }),
    );
    expect(circuitBreakerRequestDigest({ jobType: 'scan' })).not.toBe(
      circuitBreakerRequestDigest({ jobType: 'scan', failureRatio: 0.5 }),
    );
    expect(circuitBreakerRequestDigest({ jobType: 'scan' })).not.toBe(
      circuitBreakerRequestDigest({ sourceId: 'scan' }),
    );
  });
});

describe('circuitResetEvent', () => {
  it('is a circuit.closed event naming the breaker, the state it left and who reset it', () => {
    const breaker: CircuitBreaker = {
      ...DEFAULT_CIRCUIT_SETTINGS,
      tenantId: 'acme',
      breakerId: 'b-1',
      sourceId: 'nvd',
      jobType: null,
      state: 'open',
      stateChangedAt: '2026-12-02T12:00:00.000Z',
      openUntil: '2026-12-02T12:00:30.000Z',
      openedWith: { attempts: 20, failures: 15 },
      version: 1,
      createdAt: '2026-12-02T11:00:00.000Z',
      createdBy: 'alice',
      updatedAt: '2026-12-02T11:00:00.000Z',
      updatedBy: 'alice',
    };
    const actor = { subject: 'bob', clientId: 'cli', scopes: ['orch:operate'] };
    expect(circuitResetEvent(breaker, actor, { correlationId: 'req-1' })).toEqual({
      tenantId: 'acme',
      eventType: 'circuit.closed',
      jobId: null,
      actor: 'bob',
      actorScopes: ['orch:operate'],
      correlationId: 'req-1',
      data: {
        breakerId: 'b-1',
        sourceId: 'nvd',
        jobType: null,
        from: 'open',
        to: 'closed',
        openUntil: null,
        reason: 'reset by bob',
      },
    });
    expect(circuitResetEvent(breaker, actor).correlationId).toBe('circuit_breaker:b-1');
  });
});
