import type { GrantMetadataField, Scope } from './scopes.js';

/**
 * The claims of an access token (RFC 9068 §2.2, plus the tenant and the reason/ticket claims of SPEC §3).
 * Times are seconds since the epoch; `scope` is space-separated.
 */
export interface AccessTokenClaims extends Partial<Record<GrantMetadataField, string>> {
  readonly iss: string;
  readonly aud: string;
  /** The client id: a client-credentials token acts for its client. */
  readonly sub: string;
  readonly client_id: string;
  readonly scope: string;
  readonly tenant: string;
  readonly jti: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
}

/** Signs access tokens (the JWT adapter outside the core). */
export interface TokenIssuer {
  /** The signed token (a compact JWS with `typ: at+jwt`). */
  issue(claims: AccessTokenClaims): Promise<string>;
}

/** The answer of a successful token request (RFC 6749 §5.1). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
  readonly tenant: string;
}

/** The scopes a token's `scope` claim names that this server knows, in the claim's order. */
export function scopesOf(scopeClaim: string, known: (value: string) => value is Scope): Scope[] {
  return scopeClaim.split(' ').filter(known);
}
