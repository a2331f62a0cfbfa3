import { OrchestratorApiError, OrchestratorConnectionError, TokenRequestError } from '@stella-orch/client';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, exitCodeFor, IntegrityError, UsageError } from './exit-codes.js';

const apiError = (status: number, code: string) => new OrchestratorApiError({ status, code, detail: 'x' });

describe('exitCodeFor', () => {
  it.each([
    [apiError(404, 'JOB_NOT_FOUND'), EXIT_CODES.notFound],
    [apiError(404, 'RUN_NOT_FOUND'), EXIT_CODES.notFound],
    [apiError(409, 'INVALID_TRANSITION'), EXIT_CODES.conflict],
    [apiError(409, 'IDEMPOTENCY_CONFLICT'), EXIT_CODES.conflict],
    [apiError(400, 'VALIDATION_FAILED'), EXIT_CODES.usage],
    [apiError(413, 'PAYLOAD_TOO_LARGE'), EXIT_CODES.usage],
    [apiError(503, 'STORE_UNAVAILABLE'), EXIT_CODES.unavailable],
    [apiError(502, 'HTTP_502'), EXIT_CODES.unavailable],
    [apiError(429, 'RATE_LIMITED'), EXIT_CODES.unavailable],
    [apiError(500, 'INTERNAL'), EXIT_CODES.unexpected],
    [apiError(403, 'FORBIDDEN'), EXIT_CODES.auth],
    [apiError(403, 'INSUFFICIENT_SCOPE'), EXIT_CODES.auth],
    [apiError(403, 'TENANT_MISMATCH'), EXIT_CODES.auth],
    [apiError(401, 'UNAUTHENTICATED'), EXIT_CODES.auth],
    [new TokenRequestError({ status: 401, error: 'invalid_client' }), EXIT_CODES.auth],
    [new TokenRequestError({ status: 400, error: 'invalid_scope' }), EXIT_CODES.auth],
    [new IntegrityError('AUDIT_CHAIN_BROKEN', 'broken at 4'), EXIT_CODES.integrity],
    [apiError(409, 'CLIENT_EXISTS'), EXIT_CODES.conflict],
    [apiError(404, 'CLIENT_NOT_FOUND'), EXIT_CODES.notFound],
    [
      new OrchestratorConnectionError('refused', { url: 'http://x', timedOut: false }),
      EXIT_CODES.unavailable,
    ],
    [new UsageError('both --payload and --payload-file'), EXIT_CODES.usage],
    [Object.assign(new Error('port: must be an integer'), { name: 'ConfigError' }), EXIT_CODES.usage],
    [
      Object.assign(new Error('cannot reach PostgreSQL'), { code: 'STORE_UNAVAILABLE' }),
      EXIT_CODES.unavailable,
    ],
    [new CommanderError(1, 'commander.unknownOption', 'unknown option'), EXIT_CODES.usage],
    [new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), EXIT_CODES.ok],
    [new TypeError('a bug'), EXIT_CODES.unexpected],
    ['a string', EXIT_CODES.unexpected],
  ])('maps %o to %i', (error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });
});
