import { describe, expect, it } from 'vitest';
import { isOrchestratorError } from './errors.js';
import { resolveDependencyRefs } from './job-dependency-refs.js';
import { toNewJob } from './job-submission.js';

const IDS = [
  '11111111-1111-4111-8111-111111111111',
  '22222222-2222-4222-8222-222222222222',
  '33333333-3333-4333-8333-333333333333',
];
const EXISTING = 'AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA';

function failure(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (isOrchestratorError(error)) return { code: error.code, details: error.details };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('resolveDependencyRefs', () => {
  it('turns refs into the ids of their batch jobs, before or after, and lower-cases job ids', () => {
    const resolved = resolveDependencyRefs(
      [
        { jobType: 'a', ref: 'a', dependsOn: [{ ref: 'c' }] },
        { jobType: 'b', dependsOn: [{ ref: 'a' }, EXISTING] },
        { jobType: 'c', ref: 'c' },
      ],
      IDS,
      true,
    );
    expect(resolved).toEqual([[IDS[2]], [IDS[0], EXISTING.toLowerCase()], []]);
  });

  it('refuses a ref used twice or naming no job, with field paths', () => {
    expect(
      failure(() =>
        resolveDependencyRefs(
          [
            { jobType: 'a', ref: 'x' },
            { jobType: 'b', ref: 'x', dependsOn: [{ ref: 'y' }] },
          ],
          IDS,
          true,
        ),
      ),
    ).toEqual({
      code: 'VALIDATION_FAILED',
      details: {
        errors: [
          { path: 'jobs[1].ref', message: 'is the ref of jobs[0] too' },
          { path: 'jobs[1].dependsOn[0].ref', message: 'names no job of this batch' },
        ],
      },
    });
    expect(
      failure(() => resolveDependencyRefs([{ jobType: 'a', dependsOn: [{ ref: 'a' }] }], IDS, false)),
    ).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { errors: [{ path: 'dependsOn[0].ref' }] },
    });
  });

  it('refuses a cycle, naming it by refs, and a job that depends on itself', () => {
    const cycle = failure(() =>
      resolveDependencyRefs(
        [
          { jobType: 'a', ref: 'a', dependsOn: [{ ref: 'b' }] },
          { jobType: 'b', ref: 'b', dependsOn: [{ ref: 'a' }] },
          { jobType: 'c', dependsOn: [{ ref: 'a' }] },
        ],
        IDS,
        true,
      ),
    );
    expect(cycle.code).toBe('DEPENDENCY_CYCLE');
    expect(['a,b,a', 'b,a,b']).toContain((cycle.details!['cycle'] as string[]).join());
    expect(
      failure(() =>
        resolveDependencyRefs([{ jobType: 'a', ref: 'me', dependsOn: [{ ref: 'me' }] }], IDS, true),
      ),
    ).toEqual({ code: 'DEPENDENCY_CYCLE', details: { cycle: ['me', 'me'] } });
  });
});

describe('dependencies in the request digest', () => {
  const defaults = { jobId: IDS[0]!, correlationId: 'c', maxAttempts: 3 };

  it('keeps the digest of a job without dependencies, and tells refs and parents apart', () => {
    const plain = toNewJob({ jobType: 'a' }, defaults);
    expect(toNewJob({ jobType: 'a', dependsOn: [] }, defaults).requestDigest).toBe(plain.requestDigest);
    const byRef = toNewJob({ jobType: 'a', dependsOn: [{ ref: 'x' }] }, defaults, { dependsOn: [IDS[1]!] });
    const byRefElsewhere = toNewJob(
      { jobType: 'a', dependsOn: [{ ref: 'x' }] },
      { ...defaults, jobId: IDS[2]! },
      {
        dependsOn: [IDS[2]!],
      },
    );
    // A repeated batch resolves its refs to other new ids: still the same request.
    expect(byRefElsewhere.requestDigest).toBe(byRef.requestDigest);
    expect(byRef.dependsOn).toEqual([IDS[1]]);
    const byId = toNewJob({ jobType: 'a', dependsOn: [EXISTING] }, defaults, {
      dependsOn: [EXISTING.toLowerCase()],
    });
    expect(new Set([plain.requestDigest, byRef.requestDigest, byId.requestDigest]).size).toBe(3);
    expect(toNewJob({ jobType: 'a', dependsOn: [EXISTING.toLowerCase()] }, defaults).requestDigest).toBe(
      byId.requestDigest,
    );
  });

  it('refuses more than 100 parents, one named twice, and a malformed ref', () => {
    expect(
      failure(() =>
        toNewJob({ jobType: 'a', dependsOn: Array.from({ length: 101 }, (_, i) => `p${i}`) }, defaults),
      ),
    ).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [{ path: 'dependsOn' }] } });
    expect(
      failure(() => toNewJob({ jobType: 'a', dependsOn: [EXISTING, EXISTING.toLowerCase()] }, defaults)),
    ).toMatchObject({
      details: { errors: [{ path: 'dependsOn[1]', message: 'is named twice' }] },
    });
    expect(failure(() => toNewJob({ jobType: 'a', ref: ' bad' }, defaults))).toMatchObject({
      details: { errors: [{ path: 'ref' }] },
    });
  });
});
