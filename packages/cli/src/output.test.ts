import { describe, expect, it } from 'vitest';
import { makeJob } from '../../client/test/fake-orchestrator.js';
import { compactJson, formatTime, renderJob, renderJobList, renderSummary } from './output.js';

describe('formatting', () => {
  it('prints times to the second in UTC, and - for none', () => {
    expect(formatTime('2025-06-01T12:00:03.456Z')).toBe('2025-06-01 12:00:03Z');
    expect(formatTime(null)).toBe('-');
  });

  it('cuts long JSON', () => {
    expect(compactJson({ a: 'x'.repeat(500) }, 20)).toHaveLength(20);
    expect(compactJson({ a: 1 })).toBe('{"a":1}');
  });

  it('lists jobs one per row with attempt of max', () => {
    const jobs = [
      makeJob({ jobType: 'scan', attempt: 2, maxAttempts: 5 }),
      makeJob({ status: 'running', cancelRequested: true }),
    ];
    const text = renderJobList(jobs);
    const rows = text
      .split('\n')
      .filter((line) => line.includes(jobs[0]!.jobId) || line.includes(jobs[1]!.jobId));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/scan\s*│\s*pending\s*│\s*2\/5/);
    expect(rows[1]).toContain('running (cancel requested)');
    expect(renderJobList([])).toBe('No jobs.');
  });

  it('shows only the optional fields a job has, and its last error', () => {
    const plain = renderJob(makeJob());
    expect(plain).not.toContain('Run');
    expect(plain).not.toContain('Last error');
    const rich = renderJob(
      makeJob({
        runId: 'run-7',
        replayOf: 'job-1',
        lastError: { type: 'HttpTimeout', message: 'feed timed out', retryable: false },
        result: { n: 3 },
      }),
    );
    expect(rich).toMatch(/Run\s*│\s*run-7/);
    expect(rich).toMatch(/Replay of\s*│\s*job-1/);
    expect(rich).toContain('HttpTimeout: feed timed out (not retryable)');
    expect(rich).toContain('{"n":3}');
  });

  it('summarises every status, zeros included, and a row per job type', () => {
    const text = renderSummary({
      total: 4,
      byStatus: { pending: 1, failed: 3 },
      byJobType: [{ jobType: 'scan', byStatus: { pending: 1, failed: 3 } }],
    });
    expect(text).toMatch(/waiting\s*│\s*0/);
    expect(text).toMatch(/failed\s*│\s*3/);
    expect(text).toMatch(/scan\s*│\s*0\s*│\s*1\s*│\s*0\s*│\s*0\s*│\s*0\s*│\s*3\s*│\s*0\s*│\s*4/);
  });
});
