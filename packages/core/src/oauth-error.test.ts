import { describe, expect, it } from 'vitest';
import { OAuthError, type OAuthErrorCode } from './oauth-error.js';

describe('OAuthError', () => {
  it('carries the RFC 6749 code, the description as its message, and its name', () => {
    const error = new OAuthError('invalid_scope', 'unknown scope "orch:x"');
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(OAuthError);
    expect(error.name).toBe('OAuthError');
    expect(error.error).toBe('invalid_scope');
    expect(error.message).toBe('unknown scope "orch:x"');
  });

  it('answers 401 for invalid_client only, 400 for every other code', () => {
    const statuses: Record<OAuthErrorCode, number> = {
      invalid_request: 400,
      invalid_client: 401,
      invalid_grant: 400,
      unauthorized_client: 400,
      unsupported_grant_type: 400,
      invalid_scope: 400,
      invalid_target: 400,
    };
    for (const [code, status] of Object.entries(statuses) as [OAuthErrorCode, number][]) {
      expect(new OAuthError(code, 'x').status, code).toBe(status);
    }
  });
});
