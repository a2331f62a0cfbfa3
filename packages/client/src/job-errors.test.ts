import { describe, expect, it } from 'vitest';
import { NonRetryableError, RetryableError, toJobFailure } from './job-errors.js';

describe('toJobFailure', () => {
  it('names the failure after the error class, subclasses included', () => {
    class MissingAdvisory extends NonRetryableError {}
    expect(toJobFailure(new MissingAdvisory('CVE-1 is gone', { details: { id: 'CVE-1' } }))).toEqual({
      type: 'MissingAdvisory',
      message: 'CVE-1 is gone',
      retryable: false,
      details: { id: 'CVE-1' },
    });
  });

  it('keeps a RetryableError delay, rounded and never negative', () => {
    expect(toJobFailure(new RetryableError('busy', { retryAfterMs: 1234.6 }))).toMatchObject({
      retryable: true,
      retryAfterMs: 1235,
    });
    expect(toJobFailure(new RetryableError('busy', { retryAfterMs: -5 }))).toMatchObject({ retryAfterMs: 0 });
  });

  it('treats anything thrown that is not an Error as a retryable Error', () => {
    expect(toJobFailure('a string')).toEqual({ type: 'Error', message: 'a string', retryable: true });
  });

  it('truncates very long messages', () => {
    expect(toJobFailure(new Error('x'.repeat(10_000))).message).toHaveLength(4_096);
  });
});
