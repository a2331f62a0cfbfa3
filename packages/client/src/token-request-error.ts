/**
 * The token endpoint refused to issue a token (RFC 6749 §5.2): wrong client id or secret
 * (`invalid_client`), a scope the client may not have (`invalid_scope`), a missing operator reason or
 * ticket (`invalid_request`)… Retrying does not help: the request or the client must change. An answer
 * that is not an RFC 6749 error body gets `error` = its problem code, or `http_<status>`.
 *
 * Neither the message nor any field holds the client secret.
 */
export class TokenRequestError extends Error {
  /** The HTTP status of the refusal (400, or 401 for `invalid_client`). */
  readonly status: number;
  /**
   * The RFC 6749 error code: `invalid_request`, `invalid_client`, `invalid_scope`, `unauthorized_client`,
   * `unsupported_grant_type`, `invalid_grant`, or what else the server answered.
   */
  readonly error: string;
  /** The server's explanation; empty when it gave none. */
  readonly error_description: string;

  /**
   * @param refusal - the status and the RFC 6749 `error` and `error_description`
   */
  constructor(refusal: {
    readonly status: number;
    readonly error: string;
    readonly error_description?: string;
  }) {
    const description = refusal.error_description ?? '';
    super(`token request refused: ${refusal.error}${description === '' ? '' : `: ${description}`}`);
    this.name = 'TokenRequestError';
    this.status = refusal.status;
    this.error = refusal.error;
    this.error_description = description;
  }
}

/** Whether `error` is a refusal of the token endpoint, optionally with the given RFC 6749 code. */
export function isTokenRequestError(error: unknown, code?: string): error is TokenRequestError {
  return error instanceof TokenRequestError && (code === undefined || error.error === code);
}
