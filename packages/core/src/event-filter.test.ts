import { describe, expect, it } from 'vitest';
import { toEventEnvelope, type EventEnvelope } from './event-envelope.js';
import { matchesEventFilter, MAX_EVENT_TYPE_PREFIXES, parseEventFilter } from './event-filter.js';
import { OrchestratorError } from './errors.js';

function envelope(
  eventType: string,
  job: Partial<{ jobType: string; runId: string; sourceId: string }> = {},
) {
  return toEventEnvelope({
    position: { txId: 1n, eventId: 1n },
    eventId: '1',
    eventType,
    occurredAt: '2026-11-24T10:00:00.000Z',
    tenantId: 'acme',
    jobId: 'ab-1',
    attempt: 1,
    actor: 'w',
    actorScopes: null,
    correlationId: null,
    data: null,
    job: {
      jobType: job.jobType ?? 'scan',
      runId: job.runId ?? null,
      projectId: null,
      sourceId: job.sourceId ?? null,
      correlationId: 'c',
      payloadDigest: 'sha256:x',
    },
  });
}

function fieldErrors(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OrchestratorError);
    return (error as OrchestratorError).details?.['errors'];
  }
  throw new Error('expected a validation failure');
}

describe('parseEventFilter', () => {
  it('reads comma-separated type prefixes and the other criteria', () => {
    expect(parseEventFilter({})).toEqual({});
    expect(
      parseEventFilter({
        type: 'job.failed, job.dead_lettered',
        jobType: 'scan',
        source: 'nvd',
        runId: 'r1',
        jobId: 'AB-1',
      }),
    ).toEqual({
      types: ['job.failed', 'job.dead_lettered'],
      jobType: 'scan',
      sourceId: 'nvd',
      runId: 'r1',
      jobId: 'ab-1',
    });
  });

  it('refuses malformed prefixes, too many prefixes and empty or long values, naming each field', () => {
    expect(
      fieldErrors(() => parseEventFilter({ type: 'Job.', jobType: '', source: 'x'.repeat(257) })),
    ).toEqual([
      { path: 'type', message: expect.stringContaining('prefixes') as string },
      { path: 'jobType', message: 'must be 1–256 characters' },
      { path: 'source', message: 'must be 1–256 characters' },
    ]);
    const many = Array.from({ length: MAX_EVENT_TYPE_PREFIXES + 1 }, (_, i) => `t${i}`).join(',');
    expect(fieldErrors(() => parseEventFilter({ type: many }))).toEqual([
      { path: 'type', message: `must name at most ${MAX_EVENT_TYPE_PREFIXES} prefixes` },
    ]);
    expect(fieldErrors(() => parseEventFilter({ type: 'job.,' }))).toHaveLength(1);
  });
});

describe('matchesEventFilter', () => {
  const event: EventEnvelope = envelope('job.failed', { jobType: 'scan', runId: 'r1', sourceId: 'nvd' });

  it('lets everything through an empty filter', () => {
    expect(matchesEventFilter(event, {})).toBe(true);
  });

  it('matches any of the type prefixes', () => {
    expect(matchesEventFilter(event, { types: ['job.'] })).toBe(true);
    expect(matchesEventFilter(event, { types: ['operator.', 'job.fail'] })).toBe(true);
    expect(matchesEventFilter(event, { types: ['operator.'] })).toBe(false);
  });

  it('requires every other criterion to hold', () => {
    expect(matchesEventFilter(event, { jobType: 'scan', runId: 'r1', sourceId: 'nvd', jobId: 'ab-1' })).toBe(
      true,
    );
    expect(matchesEventFilter(event, { jobType: 'other' })).toBe(false);
    expect(matchesEventFilter(event, { runId: 'r2' })).toBe(false);
    expect(matchesEventFilter(event, { sourceId: 'osv' })).toBe(false);
    expect(matchesEventFilter(event, { jobId: 'ab-2' })).toBe(false);
    expect(matchesEventFilter(envelope('job.created'), { sourceId: 'nvd' })).toBe(false);
  });
});
