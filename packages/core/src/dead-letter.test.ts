import { describe, expect, it } from 'vitest';
import {
  bulkReplayAuditRecord,
  checkResolutionNote,
  deadLetterAuditRecord,
  replayRequestErrors,
} from './dead-letter.js';
import { isOrchestratorError } from './errors.js';
import type { DeadLetterEntry } from './job.js';

const ACTOR = { subject: 'alice', clientId: 'ops', scopes: ['orch:operate'] };

const ENTRY: DeadLetterEntry = {
  entryId: 'e1',
  jobId: 'j1',
  jobType: 'scan',
  attempts: 3,
  errorType: 'Timeout',
  errorMessage: 'slow',
  status: 'open',
  createdAt: '2030-01-01T00:00:00.000Z',
  sourceId: null,
  replayedJobId: null,
  resolutionNote: null,
  resolvedBy: null,
  resolvedAt: null,
  updatedAt: '2030-01-01T00:00:00.000Z',
};

describe('replay by filter requests', () => {
  const base = { filter: { statuses: ['failed'] as const }, dryRun: false, maxCap: 100 };

  it('accept a max within the cap, or none on a dry run', () => {
    expect(replayRequestErrors({ ...base, max: 100 })).toEqual([]);
    expect(replayRequestErrors({ ...base, max: undefined, dryRun: true })).toEqual([]);
  });

  it.each([
    [{ max: undefined }, 'max'],
    [{ max: 0 }, 'max'],
    [{ max: 101 }, 'max'],
    [{ max: 2.5 }, 'max'],
    [{ max: 1, filter: { statuses: [] } }, 'status'],
    [{ max: 1, filter: { statuses: ['pending'] } }, 'status'],
    [
      {
        max: 1,
        filter: {
          statuses: ['failed'],
          createdAfter: '2030-01-02T00:00:00Z',
          createdBefore: '2030-01-01T00:00:00Z',
        },
      },
      'createdBefore',
    ],
  ])('refuse %j at %s', (change, path) => {
    const errors = replayRequestErrors({ ...base, ...change } as Parameters<typeof replayRequestErrors>[0]);
    expect(errors.map((e) => e.path)).toEqual([path]);
  });
});

describe('resolution notes', () => {
  it.each(['', 'x'.repeat(1025), 'two\nlines'])('refuse %j', (note) => {
    let error: unknown;
    try {
      checkResolutionNote(note);
    } catch (e) {
      error = e;
    }
    expect(isOrchestratorError(error, 'VALIDATION_FAILED')).toBe(true);
  });

  it('accept 1,024 characters', () => {
    expect(() => {
      checkResolutionNote('é'.repeat(1024));
    }).not.toThrow();
  });
});

describe('audit records', () => {
  it('record a dead-letter replay with the entry, its job and the new job', () => {
    const record = deadLetterAuditRecord({
      action: 'deadletter.replay',
      actor: ACTOR,
      before: ENTRY,
      after: { ...ENTRY, status: 'replayed', replayedJobId: 'j2' },
      replayedJobCreated: true,
      audit: { reason: 'feed back', ticket: 'OPS-1' },
      correlationId: 'c1',
    });
    expect(record).toEqual({
      actor: ACTOR,
      action: 'deadletter.replay',
      resourceType: 'dead_letter',
      resourceId: 'e1',
      before: { status: 'open', jobId: 'j1', jobType: 'scan', errorType: 'Timeout' },
      after: {
        status: 'replayed',
        jobId: 'j1',
        jobType: 'scan',
        errorType: 'Timeout',
        replayedJobId: 'j2',
        replayedJobCreated: true,
      },
      reason: 'feed back',
      ticket: 'OPS-1',
      correlationId: 'c1',
    });
  });

  it('record a bulk replay with its filter and counts', () => {
    const record = bulkReplayAuditRecord({
      actor: ACTOR,
      filter: { statuses: ['failed'], sourceId: 'nvd' },
      max: 10,
      result: {
        replayId: 'r1',
        total: 2,
        byJobType: [],
        bySource: [],
        created: 2,
        existing: 0,
        deadLettersReplayed: 1,
      },
      audit: { correlationId: 'c2' },
      correlationId: 'r1',
    });
    expect(record).toMatchObject({
      action: 'job.bulk_replay',
      resourceType: 'replay',
      resourceId: 'r1',
      before: { statuses: ['failed'], sourceId: 'nvd', max: 10 },
      after: { matched: 2, created: 2, existing: 0, deadLettersReplayed: 1 },
      correlationId: 'c2',
    });
  });
});
