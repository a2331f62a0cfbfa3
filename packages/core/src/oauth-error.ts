/** The error codes of a refused token request: RFC 6749 §5.2, and `invalid_target` of RFC 8707 for a tenant. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target';

/** A refused token request, answered as `{"error", "error_description"}` rather than problem+json. */
export class OAuthError extends Error {
  readonly error: OAuthErrorCode;

  /**
   * @param error - the RFC 6749 code
   * @param description - the `error_description`: for people, never holding a secret
   */
  constructor(error: OAuthErrorCode, description: string) {
    super(description);
    this.name = 'OAuthError';
    this.error = error;
  }

  /** 401 for a client that failed to authenticate, 400 for everything else (RFC 6749 §5.2). */
  get status(): number {
    return this.error === 'invalid_client' ? 401 : 400;
  }
}
