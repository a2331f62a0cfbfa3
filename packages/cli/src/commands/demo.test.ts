import { describe, expect, it } from 'vitest';
import { recordingIo } from '../../test/test-io.js';
import { runCli } from '../run-cli.js';
import { demoSubmissions } from './demo.js';

describe('demo', () => {
  it('scripts retries for every fourth job and one dead-letter from ten jobs up', () => {
    const jobs = demoSubmissions(10, 'r');
    expect(jobs.filter((j) => j.payload.failOnce).map((j) => j.payload.seq)).toEqual([1, 5, 9]);
    expect(jobs.filter((j) => j.payload.failHard).map((j) => j.payload.seq)).toEqual([9]);
    expect(demoSubmissions(9, 'r').some((j) => j.payload.failHard)).toBe(false);
    expect(new Set(jobs.map((j) => j.jobType)).size).toBe(3);
  });

  // The real server in-process on a temporary PGlite ledger, a producer and an SDK worker.
  it('processes the sample jobs end to end, printing transitions and a summary', async () => {
    const io = recordingIo({});
    expect(await runCli(['demo', '--jobs', '10'], io)).toBe(0);
    const out = io.stdoutText();
    expect(out.match(/ submitted$/gm)).toHaveLength(10);
    expect(out).toContain('→ retry_scheduled (RetryableError: the upstream feed timed out)');
    expect(out).toContain('→ dead_lettered (NonRetryableError: the advisory document is malformed)');
    expect(out).toMatch(/succeeded\s*│\s*9\s*│/);
    expect(out).toMatch(/failed\s*│\s*1\s*│/);
    expect(out).toMatch(/total\s*│\s*10\s*│/);
    expect(io.stderrText()).toBe('');
  }, 60_000);

  it('prints the summary as JSON with --json', async () => {
    const io = recordingIo({});
    expect(await runCli(['--json', 'demo', '--jobs', '3'], io)).toBe(0);
    const report = JSON.parse(io.stdoutText()) as {
      summary: { total: number };
      worker: { succeeded: number; failed: number };
    };
    expect(report.summary.total).toBe(3);
    expect(report.worker).toMatchObject({ succeeded: 3, failed: 1 });
  }, 60_000);
});
