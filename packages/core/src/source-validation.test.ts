import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Digest } from './canonical-json.js';
import { checkSourcePatch, checkSourceRegistration, sourceRegistrationDigest } from './source-validation.js';

describe('a source’s concurrency limit (maxConcurrent)', () => {
  it('is a whole number from 1 to 1,000,000, or null (unlimited)', () => {
    for (const maxConcurrent of [1, 1_000_000, null]) {
      expect(checkSourceRegistration({ sourceId: 'nvd', sourceType: 'concelier', maxConcurrent })).toEqual(
        [],
      );
      expect(checkSourcePatch({ maxConcurrent })).toEqual([]);
    }
    for (const maxConcurrent of [0, -1, 2.5, 1_000_001, Number.NaN]) {
      expect(checkSourcePatch({ maxConcurrent }).map((e) => e.path)).toEqual(['maxConcurrent']);
    }
  });

  it('enters the registration digest only when set, so older digests stay valid', () => {
    const registration = { sourceId: 'nvd', sourceType: 'concelier' };
    const before = sha256Digest(
      canonicalJson({ ...registration, displayName: null, description: null, rateLimit: null }),
    );
    expect(sourceRegistrationDigest(registration)).toBe(before);
    expect(sourceRegistrationDigest({ ...registration, maxConcurrent: null })).toBe(before);
    expect(sourceRegistrationDigest({ ...registration, maxConcurrent: 4 })).not.toBe(before);
  });
});
