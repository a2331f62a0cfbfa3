import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { OrchestratorError, type FieldError } from './errors.js';
import { JOB_LIMITS, checkJobSubmission, toNewJob, type JobSubmission } from './job-submission.js';

const DEFAULTS = { jobId: 'job-1', correlationId: 'corr-1', maxAttempts: 3 } as const;

const IDENTIFIER_FIELDS = ['idempotencyKey', 'correlationId', 'projectId', 'sourceId', 'runId'] as const;

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

function paths(errors: readonly FieldError[]): string[] {
  return errors.map((e) => e.path);
}

function validationFailure(fn: () => unknown): OrchestratorError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OrchestratorError) return error;
    throw error;
  }
  throw new Error('expected an OrchestratorError, nothing was thrown');
}

describe('JOB_LIMITS', () => {
  it('holds the documented bounds', () => {
    expect(JOB_LIMITS).toEqual({
      minPriority: -1000,
      maxPriority: 1000,
      defaultPriority: 0,
      maxAttemptsLimit: 100,
      defaultMaxAttempts: 3,
      maxBatchSize: 1000,
      maxKeyLength: 256,
    });
  });
});

describe('checkJobSubmission', () => {
  it('accepts a minimal submission', () => {
    expect(checkJobSubmission({ jobType: 'advisory.ingest' })).toEqual([]);
  });

  it('accepts a full, valid submission', () => {
    expect(
      checkJobSubmission({
        jobType: 'scan/sbom:v2_x-y',
        payload: { any: ['json', 1, null] },
        priority: 10,
        maxAttempts: 5,
        idempotencyKey: 'req-1',
        correlationId: 'c@x.y',
        projectId: 'proj/1',
        sourceId: 'src:nvd',
        runId: 'run_1',
        notBefore: '2030-01-01T00:00:00Z',
      }),
    ).toEqual([]);
  });

  describe('jobType', () => {
    const message = 'must be 1–128 of A-Z a-z 0-9 . _ : / - starting with a letter or digit';

    it.each(['a', 'Z', '0', 'advisory.ingest', 'a-b_c.d:e/f', 'x'.repeat(128), '9lives', 'A/B/C'])(
      'accepts %j',
      (jobType) => {
        expect(checkJobSubmission({ jobType })).toEqual([]);
      },
    );

    it.each([
      '',
      'x'.repeat(129),
      '.hidden',
      '-x',
      '_x',
      ':x',
      '/x',
      'has space',
      'a@b',
      'a+b',
      'émile',
      'a\n',
      ' a',
    ])('refuses %j', (jobType) => {
      expect(checkJobSubmission({ jobType })).toEqual([{ path: 'jobType', message }]);
    });
  });

  describe('priority', () => {
    const message = 'must be an integer from -1000 to 1000';

    it.each([-1000, -1, 0, 1, 999, 1000])('accepts %d', (priority) => {
      expect(checkJobSubmission({ jobType: 't', priority })).toEqual([]);
    });

    it.each([-1001, 1001, 0.5, -0.1, Number.NaN, Infinity, -Infinity])('refuses %d', (priority) => {
      expect(checkJobSubmission({ jobType: 't', priority })).toEqual([{ path: 'priority', message }]);
    });
  });

  describe('maxAttempts', () => {
    const message = 'must be an integer from 1 to 100';

    it.each([1, 2, 3, 99, 100])('accepts %d', (maxAttempts) => {
      expect(checkJobSubmission({ jobType: 't', maxAttempts })).toEqual([]);
    });

    it.each([0, -1, 101, 1.5, Number.NaN, Infinity])('refuses %d', (maxAttempts) => {
      expect(checkJobSubmission({ jobType: 't', maxAttempts })).toEqual([{ path: 'maxAttempts', message }]);
    });
  });

  describe.each(IDENTIFIER_FIELDS)('%s', (field) => {
    const message = 'must be 1–256 of A-Z a-z 0-9 . _ : / @ - starting with a letter or digit';

    it.each([
      'a',
      '0',
      'user@example.com',
      'a.b_c:d/e-f',
      'k'.repeat(256),
      '6f1c0d3e-0000-4000-8000-000000000001',
    ])('accepts %j', (value) => {
      expect(checkJobSubmission({ jobType: 't', [field]: value })).toEqual([]);
    });

    it.each(['', 'k'.repeat(257), '@user', '-a', '.a', 'a b', 'a#b', 'a?b', 'ü', 'a\t'])(
      'refuses %j',
      (value) => {
        expect(checkJobSubmission({ jobType: 't', [field]: value })).toEqual([{ path: field, message }]);
      },
    );
  });

  describe('notBefore', () => {
    const message = 'must be an ISO-8601 date-time';

    it.each([
      '2030-01-01T00:00:00Z',
      '2030-01-01T00:00:00.123Z',
      '2030-01-01T00:00:00.123456Z',
      '2030-01-01T10:00+02:00',
      '2030-01-01T10:00:00-05:30',
      '2030-01-01t10:00:00z',
      '1999-12-31T23:59:59+00:00',
    ])('accepts %j', (notBefore) => {
      expect(checkJobSubmission({ jobType: 't', notBefore })).toEqual([]);
    });

    it.each([
      '',
      'tomorrow',
      'not a date',
      // Date.parse takes these, but they are not ISO-8601 date-times.
      '1',
      '2030',
      '1/2/2030',
      'Jan 1 2030',
      '2030-01-01 10:00:00Z',
      // No offset: JavaScript would read it in the server's local time zone.
      '2030-01-01T10:00:00',
      '2030-01-01',
      // ISO-shaped but not a real date-time.
      '2030-13-01T00:00:00Z',
      '2030-01-32T00:00:00Z',
      '2030-01-01T25:00:00Z',
      '2030-01-01T10:00:00+0200',
      ' 2030-01-01T00:00:00Z',
      '2030-01-01T00:00:00Z ',
    ])('refuses %j', (notBefore) => {
      expect(checkJobSubmission({ jobType: 't', notBefore })).toEqual([{ path: 'notBefore', message }]);
    });
  });

  it('puts the prefix in front of every path', () => {
    const errors = checkJobSubmission(
      { jobType: '', priority: 5000, maxAttempts: 0, runId: ' ', notBefore: 'x' },
      'jobs[3].',
    );
    expect(paths(errors)).toEqual([
      'jobs[3].jobType',
      'jobs[3].priority',
      'jobs[3].maxAttempts',
      'jobs[3].runId',
      'jobs[3].notBefore',
    ]);
  });

  it('lists every problem at once, in field order', () => {
    const errors = checkJobSubmission({
      jobType: '!',
      priority: 1.5,
      maxAttempts: 101,
      idempotencyKey: '',
      correlationId: ' ',
      projectId: '-',
      sourceId: '.',
      runId: '_',
      notBefore: 'soon',
    });
    expect(paths(errors)).toEqual([
      'jobType',
      'priority',
      'maxAttempts',
      'idempotencyKey',
      'correlationId',
      'projectId',
      'sourceId',
      'runId',
      'notBefore',
    ]);
  });

  it('does not look at the payload', () => {
    expect(checkJobSubmission({ jobType: 't', payload: null })).toEqual([]);
    expect(checkJobSubmission({ jobType: 't', payload: [1, 'two', { three: 3 }] })).toEqual([]);
  });
});

describe('toNewJob', () => {
  it('fills in the defaults', () => {
    const job = toNewJob({ jobType: 'advisory.ingest' }, DEFAULTS);
    expect(job).toEqual({
      jobId: 'job-1',
      jobType: 'advisory.ingest',
      payload: {},
      priority: 0,
      maxAttempts: 3,
      projectId: null,
      sourceId: null,
      runId: null,
      notBefore: null,
      payloadDigest: sha256('{}'),
      requestDigest: expect.any(String) as unknown,
      idempotencyKey: null,
      correlationId: 'corr-1',
      dependsOn: [],
      replayOf: null,
    });
  });

  it('keeps the trace context of the request, outside the request digest', () => {
    const trace = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'congo=t61rcWkgMzE',
    };
    const traced = toNewJob({ jobType: 't' }, { ...DEFAULTS, trace });
    expect(traced).toMatchObject(trace);
    expect(
      toNewJob({ jobType: 't' }, { ...DEFAULTS, trace: { traceparent: trace.traceparent } }),
    ).toMatchObject({ traceparent: trace.traceparent, tracestate: null });
    expect(traced.requestDigest).toBe(toNewJob({ jobType: 't' }, DEFAULTS).requestDigest);
  });

  it('takes maxAttempts from the defaults when the submission has none', () => {
    expect(toNewJob({ jobType: 't' }, { ...DEFAULTS, maxAttempts: 7 }).maxAttempts).toBe(7);
    expect(toNewJob({ jobType: 't', maxAttempts: 2 }, { ...DEFAULTS, maxAttempts: 7 }).maxAttempts).toBe(2);
  });

  it('keeps every field the submission gives', () => {
    const job = toNewJob(
      {
        jobType: 'scan',
        payload: { b: [1, 2], a: 'x' },
        priority: -5,
        maxAttempts: 10,
        idempotencyKey: 'idem-1',
        correlationId: 'corr-own',
        projectId: 'p1',
        sourceId: 's1',
        runId: 'r1',
        notBefore: '2030-01-01T00:00:00.000Z',
      },
      DEFAULTS,
    );
    expect(job).toMatchObject({
      jobId: 'job-1',
      jobType: 'scan',
      payload: { b: [1, 2], a: 'x' },
      payloadDigest: sha256('{"a":"x","b":[1,2]}'),
      priority: -5,
      maxAttempts: 10,
      idempotencyKey: 'idem-1',
      correlationId: 'corr-own',
      projectId: 'p1',
      sourceId: 's1',
      runId: 'r1',
      notBefore: '2030-01-01T00:00:00.000Z',
      dependsOn: [],
      replayOf: null,
    });
  });

  it('keeps the payload object itself (no copy) and keeps a null payload as null', () => {
    const payload = { a: 1 };
    expect(toNewJob({ jobType: 't', payload }, DEFAULTS).payload).toBe(payload);
    const nullPayload = toNewJob({ jobType: 't', payload: null }, DEFAULTS);
    expect(nullPayload.payload).toBeNull();
    expect(nullPayload.payloadDigest).toBe(sha256('null'));
  });

  it('digests non-object payloads too', () => {
    expect(toNewJob({ jobType: 't', payload: [3, 2, 1] }, DEFAULTS).payloadDigest).toBe(sha256('[3,2,1]'));
    expect(toNewJob({ jobType: 't', payload: 'text' }, DEFAULTS).payloadDigest).toBe(sha256('"text"'));
    expect(toNewJob({ jobType: 't', payload: 0 }, DEFAULTS).payloadDigest).toBe(sha256('0'));
    expect(toNewJob({ jobType: 't', payload: false }, DEFAULTS).payloadDigest).toBe(sha256('false'));
  });

  describe('notBefore normalisation', () => {
    it.each([
      ['2030-01-01T00:00:00Z', '2030-01-01T00:00:00.000Z'],
      ['2030-01-01T02:00:00+02:00', '2030-01-01T00:00:00.000Z'],
      ['2029-12-31T19:00:00-05:00', '2030-01-01T00:00:00.000Z'],
      ['2030-01-01T10:00+02:00', '2030-01-01T08:00:00.000Z'],
      ['2030-01-01t00:00:00.5z', '2030-01-01T00:00:00.500Z'],
      ['2030-01-01T00:00:00.123456Z', '2030-01-01T00:00:00.123Z'],
      ['2030-06-30T23:30:00-01:00', '2030-07-01T00:30:00.000Z'],
    ])('%s → %s', (input, normalised) => {
      expect(toNewJob({ jobType: 't', notBefore: input }, DEFAULTS).notBefore).toBe(normalised);
    });

    it('gives the same request digest for the same instant written differently', () => {
      const a = toNewJob({ jobType: 't', notBefore: '2030-01-01T00:00:00Z' }, DEFAULTS);
      const b = toNewJob({ jobType: 't', notBefore: '2030-01-01T01:00:00.000+01:00' }, DEFAULTS);
      expect(a.requestDigest).toBe(b.requestDigest);
      const c = toNewJob({ jobType: 't', notBefore: '2030-01-01T00:00:01Z' }, DEFAULTS);
      expect(c.requestDigest).not.toBe(a.requestDigest);
    });
  });

  describe('request digest', () => {
    it('is the SHA-256 of the canonical JSON of the normalised request', () => {
      const job = toNewJob(
        {
          jobType: 'scan',
          payload: { z: 1, a: [true, null] },
          priority: 7,
          maxAttempts: 4,
          sourceId: 's1',
          notBefore: '2030-01-01T01:00:00+01:00',
        },
        DEFAULTS,
      );
      const expected =
        '{"jobType":"scan","maxAttempts":4,"notBefore":"2030-01-01T00:00:00.000Z","payload":{"a":[true,null],"z":1},' +
        '"priority":7,"projectId":null,"runId":null,"sourceId":"s1"}';
      expect(job.requestDigest).toBe(sha256(expected));
    });

    it('of a minimal submission covers the defaults', () => {
      const job = toNewJob({ jobType: 't' }, DEFAULTS);
      expect(job.requestDigest).toBe(
        sha256(
          '{"jobType":"t","maxAttempts":3,"notBefore":null,"payload":{},"priority":0,"projectId":null,"runId":null,"sourceId":null}',
        ),
      );
    });

    it('is equal for equal submissions regardless of key order', () => {
      const one: JobSubmission = {
        jobType: 'scan',
        payload: { source: 'nvd', window: { from: 1, to: 2 }, list: [{ y: 1, x: 2 }] },
        priority: 3,
        runId: 'r1',
      };
      const two: JobSubmission = {
        runId: 'r1',
        priority: 3,
        payload: { list: [{ x: 2, y: 1 }], window: { to: 2, from: 1 }, source: 'nvd' },
        jobType: 'scan',
      };
      const a = toNewJob(one, DEFAULTS);
      const b = toNewJob(two, { jobId: 'job-2', correlationId: 'corr-2', maxAttempts: 3 });
      expect(a.requestDigest).toBe(b.requestDigest);
      expect(a.payloadDigest).toBe(b.payloadDigest);
    });

    it('is equal whether a default is given explicitly or left out', () => {
      const implicit = toNewJob({ jobType: 't' }, DEFAULTS);
      const explicit = toNewJob({ jobType: 't', payload: {}, priority: 0, maxAttempts: 3 }, DEFAULTS);
      expect(explicit.requestDigest).toBe(implicit.requestDigest);
    });

    it('ignores the job id, the idempotency key and the correlation id', () => {
      const a = toNewJob({ jobType: 't' }, DEFAULTS);
      const b = toNewJob(
        { jobType: 't', idempotencyKey: 'k', correlationId: 'c' },
        { jobId: 'job-9', correlationId: 'corr-9', maxAttempts: 3 },
      );
      expect(b.requestDigest).toBe(a.requestDigest);
    });

    it('changes with every field that describes the work', () => {
      const base = toNewJob({ jobType: 't' }, DEFAULTS).requestDigest;
      const variants: JobSubmission[] = [
        { jobType: 'u' },
        { jobType: 't', payload: { a: 1 } },
        { jobType: 't', priority: 1 },
        { jobType: 't', maxAttempts: 4 },
        { jobType: 't', projectId: 'p' },
        { jobType: 't', sourceId: 's' },
        { jobType: 't', runId: 'r' },
        { jobType: 't', notBefore: '2030-01-01T00:00:00Z' },
      ];
      const digests = variants.map((v) => toNewJob(v, DEFAULTS).requestDigest);
      for (const digest of digests) expect(digest).not.toBe(base);
      expect(new Set(digests).size).toBe(variants.length);
      expect(toNewJob({ jobType: 't' }, { ...DEFAULTS, maxAttempts: 4 }).requestDigest).not.toBe(base);
    });
  });

  it('throws VALIDATION_FAILED with every field error', () => {
    const error = validationFailure(() =>
      toNewJob({ jobType: '', priority: 2000, notBefore: 'later' }, DEFAULTS),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(400);
    const errors = (error.details as { errors: FieldError[] }).errors;
    expect(paths(errors)).toEqual(['jobType', 'priority', 'notBefore']);
    expect(error.message).toContain('jobType: must be 1–128');
    expect(error.message).toContain('priority: must be an integer from -1000 to 1000');
    expect(error.message).toContain('notBefore: must be an ISO-8601 date-time');
  });

  it('validates an idempotency key given in the submission', () => {
    const error = validationFailure(() =>
      toNewJob({ jobType: 't', idempotencyKey: 'k'.repeat(257) }, DEFAULTS),
    );
    expect(error.details).toEqual({
      errors: [
        {
          path: 'idempotencyKey',
          message: 'must be 1–256 of A-Z a-z 0-9 . _ : / @ - starting with a letter or digit',
        },
      ],
    });
  });
});
