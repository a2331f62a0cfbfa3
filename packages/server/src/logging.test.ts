import { describe, expect, it } from 'vitest';
import { loggableUrl, loggerOptions, traceIdOf } from './logging.js';

describe('loggableUrl', () => {
  it('keeps a URL without secrets as it is', () => {
    expect(loggableUrl('/api/v1/orchestrator/jobs?page_size=10&status=pending')).toBe(
      '/api/v1/orchestrator/jobs?page_size=10&status=pending',
    );
    expect(loggableUrl('/connect/token')).toBe('/connect/token');
  });

  it('replaces the values of secret-bearing query parameters', () => {
    expect(loggableUrl('/connect/token?client_id=a&client_secret=s3cr3t&access_token=abc')).toBe(
      '/connect/token?client_id=a&client_secret=%5BRedacted%5D&access_token=%5BRedacted%5D',
    );
  });
});

describe('traceIdOf', () => {
  it('reads the trace id of a W3C traceparent', () => {
    expect(traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
  });

  it('ignores a missing, malformed or all-zero one', () => {
    expect(traceIdOf(undefined)).toBeUndefined();
    expect(traceIdOf(['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'])).toBeUndefined();
    expect(traceIdOf('00-xyz-00f067aa0ba902b7-01')).toBeUndefined();
    expect(traceIdOf(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toBeUndefined();
  });
});

describe('loggerOptions', () => {
  it('is no logger when silent, and pino options with redaction otherwise', () => {
    expect(loggerOptions('silent')).toBe(false);
    expect(loggerOptions('info')).toMatchObject({
      level: 'info',
      redact: {
        paths: expect.arrayContaining(['req.headers.authorization', 'client_secret', 'job.payload']),
      },
    });
  });
});
