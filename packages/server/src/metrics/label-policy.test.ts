import { describe, expect, it } from 'vitest';
import { ALL_TENANTS, LabelPolicy, OTHER_JOB_TYPES } from './label-policy.js';

describe('LabelPolicy', () => {
  it('labels tenants, or folds them into _all', () => {
    expect(new LabelPolicy({ tenantLabels: true, maxJobTypeLabels: 5 }).tenant('acme')).toBe('acme');
    expect(new LabelPolicy({ tenantLabels: false, maxJobTypeLabels: 5 }).tenant('acme')).toBe(ALL_TENANTS);
  });

  it('labels the first job types it sees, and every later one _other', () => {
    const labels = new LabelPolicy({ tenantLabels: true, maxJobTypeLabels: 2 });
    expect(labels.jobType('a')).toBe('a');
    expect(labels.jobType('b')).toBe('b');
    expect(labels.jobType('c')).toBe(OTHER_JOB_TYPES);
    expect(labels.jobType('a')).toBe('a');
    expect(labels.jobType('b')).toBe('b');
    expect(labels.jobType('d')).toBe(OTHER_JOB_TYPES);
  });
});
