import { describe, expect, it } from 'vitest';
import { applySloPatch, checkSloDefinition, type SloDefinition } from './slo.js';
import { sloDefinitionFrom } from './slo-service.js';

const valid: SloDefinition = sloDefinitionFrom({ name: 'ingest success', objective: 0.99 });

describe('SLO definitions', () => {
  it('fills in the defaults: all jobs, 30 days, 14.4 / 6, no pausing', () => {
    expect(valid).toEqual({
      name: 'ingest success',
      description: null,
      jobType: null,
      sourceId: null,
      objective: 0.99,
      windowSeconds: 2_592_000,
      alertPolicy: { fastBurnThreshold: 14.4, slowBurnThreshold: 6 },
      pauseSourceOnIncident: false,
    });
    expect(checkSloDefinition(valid)).toEqual([]);
  });

  it('refuses an objective outside (0, 1), a window outside 1 h..90 d, thresholds ≤ 0', () => {
    const paths = (definition: SloDefinition) => checkSloDefinition(definition).map((e) => e.path);
    for (const objective of [0, 1, -0.5, 1.5, Number.NaN]) {
      expect(paths({ ...valid, objective })).toEqual(['objective']);
    }
    for (const windowSeconds of [3_599, 7_776_001, 3_600.5]) {
      expect(paths({ ...valid, windowSeconds })).toEqual(['windowSeconds']);
    }
    expect(paths({ ...valid, windowSeconds: 3_600 })).toEqual([]);
    expect(paths({ ...valid, windowSeconds: 7_776_000 })).toEqual([]);
    expect(paths({ ...valid, alertPolicy: { fastBurnThreshold: 0, slowBurnThreshold: -1 } })).toEqual([
      'alertPolicy.fastBurnThreshold',
      'alertPolicy.slowBurnThreshold',
    ]);
    expect(paths({ ...valid, name: '' })).toEqual(['name']);
    expect(paths({ ...valid, pauseSourceOnIncident: true })).toEqual(['pauseSourceOnIncident']);
    expect(paths({ ...valid, pauseSourceOnIncident: true, sourceId: 'feed-1' })).toEqual([]);
  });

  it('applies a patch: given fields replace, null clears, thresholds merge', () => {
    const slo = { ...valid, jobType: 'ingest', sourceId: 'feed-1' };
    expect(
      applySloPatch(slo, { objective: 0.995, jobType: null, alertPolicy: { slowBurnThreshold: 3 } }),
    ).toEqual({
      ...slo,
      objective: 0.995,
      jobType: null,
      alertPolicy: { fastBurnThreshold: 14.4, slowBurnThreshold: 3 },
    });
  });
});
