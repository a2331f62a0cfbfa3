import {
  ANY_TENANT,
  GRANT_METADATA_FIELDS,
  isOrchestratorError,
  isScope,
  isTenantId,
  OrchestratorError,
  scopesOf,
  type GrantMetadataField,
  type SigningKeyStore,
  type TokenVerifier,
  type VerifiedToken,
} from '@stella-orch/core';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { TOKEN_ALGORITHM } from './jwt-token-issuer.js';

/** The clock skew tolerated on `exp`, `nbf` and `iat`. */
export const CLOCK_SKEW_SECONDS = 60;

/** What a token must be: its issuer, audience and allowed algorithms. */
export interface TokenExpectations {
  readonly issuer: string;
  readonly audience: string;
  /** The signature algorithms accepted; `none` and HMAC never are. */
  readonly algorithms: readonly string[];
}

/** Where the verification keys come from: the ledger's own keys, or an external issuer's JWKS URL. */
export type VerificationKeySource =
  | { readonly kind: 'ledger'; readonly keys: SigningKeyStore }
  | { readonly kind: 'jwks'; readonly jwksUrl: string };

const FORBIDDEN_ALGORITHM = /^(none|HS\d+)$/i;

/**
 * Verifies bearer tokens: signature by a published key (by `kid`), an allowed asymmetric algorithm,
 * `typ: at+jwt`, issuer, audience, `exp`/`nbf`/`iat` with {@link CLOCK_SKEW_SECONDS} of skew, and the
 * claims the orchestrator needs (`sub`, `tenant`, `scope`, `client_id`; `jti` for its own tokens).
 */
export class JwtTokenVerifier implements TokenVerifier {
  readonly #expectations: TokenExpectations;
  readonly #getKey: JWTVerifyGetKey & { reload?: () => void };
  readonly #requireJti: boolean;

  constructor(source: VerificationKeySource, expectations: TokenExpectations) {
    const refused = expectations.algorithms.filter((alg) => FORBIDDEN_ALGORITHM.test(alg));
    if (refused.length > 0) throw new Error(`token algorithms ${refused.join(', ')} are never accepted`);
    this.#expectations = expectations;
    this.#requireJti = source.kind === 'ledger';
    this.#getKey =
      source.kind === 'ledger'
        ? ledgerKeyResolver(source.keys)
        : createRemoteJWKSet(new URL(source.jwksUrl), { cooldownDuration: 10_000, cacheMaxAge: 600_000 });
  }

  /** Forgets the keys loaded from the ledger (after a rotation in this process). */
  reload(): void {
    this.#getKey.reload?.();
  }

  async verify(token: string): Promise<VerifiedToken> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#getKey, {
        issuer: this.#expectations.issuer,
        audience: this.#expectations.audience,
        algorithms: [...this.#expectations.algorithms],
        typ: 'at+jwt',
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (error) {
      if (isOrchestratorError(error)) throw error;
      throw unauthenticated(describeJoseError(error), error);
    }
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) {
      throw unauthenticated('the token was issued in the future');
    }
    return this.#toVerifiedToken(payload);
  }

  #toVerifiedToken(payload: JWTPayload): VerifiedToken {
    const tenant = payload['tenant'];
    const scope = payload['scope'];
    const clientId = payload['client_id'] ?? payload['azp'];
    const subject = payload.sub;
    // `*` is a pool worker's token (decision 0016 §6): the request hook confines it to the worker bridge.
    if (typeof tenant !== 'string' || (tenant !== ANY_TENANT && !isTenantId(tenant)))
      throw unauthenticated('the token names no valid tenant');
    if (typeof scope !== 'string') throw unauthenticated('the token carries no scope');
    if (typeof clientId !== 'string' || clientId === '') throw unauthenticated('the token names no client');
    if (typeof subject !== 'string' || subject === '' || subject.length > 256) {
      throw unauthenticated('the token names no valid subject');
    }
    if (this.#requireJti && (typeof payload.jti !== 'string' || payload.jti === '')) {
      throw unauthenticated('the token has no jti');
    }
    const metadata: Partial<Record<GrantMetadataField, string>> = {};
    for (const field of GRANT_METADATA_FIELDS) {
      const value = payload[field];
      if (typeof value === 'string') metadata[field] = value;
    }
    return {
      subject,
      clientId,
      tenant,
      scopes: scopesOf(scope, isScope),
      metadata,
      tokenId: typeof payload.jti === 'string' ? payload.jti : undefined,
      expiresAt: payload.exp ?? 0,
    };
  }
}

/** The expectations of this orchestrator's own tokens. */
export function ownTokenExpectations(issuer: string, audience: string): TokenExpectations {
  return { issuer, audience, algorithms: [TOKEN_ALGORITHM] };
}

/**
 * Resolves a token's `kid` among the ledger's published token keys, reloading them every 30 s and (at most
 * every 5 s) when a kid is unknown, so another replica's rotation is seen: a new key at once, a retired
 * key's tokens refused within 30 s.
 */
function ledgerKeyResolver(keys: SigningKeyStore): JWTVerifyGetKey & { reload: () => void } {
  let jwks: JWTVerifyGetKey | null = null;
  let kids = new Set<string>();
  let loadedAt = 0;
  const load = async () => {
    const published = await keys.listPublishedKeys('token');
    kids = new Set(published.map((key) => key.keyId));
    jwks = createLocalJWKSet({ keys: published.map((key) => key.publicJwk as JWK) });
    loadedAt = Date.now();
  };
  const resolve = async (...[header, token]: Parameters<JWTVerifyGetKey>) => {
    const age = Date.now() - loadedAt;
    const unknown = header.kid === undefined || !kids.has(header.kid);
    if (jwks === null || age > 30_000 || (unknown && age > 5_000)) await load();
    if (jwks === null) throw new joseErrors.JWKSNoMatchingKey();
    return jwks(header, token);
  };
  return Object.assign(resolve, {
    reload: () => {
      jwks = null;
    },
  });
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the token is not valid yet';
    return `the token's ${error.claim} claim is not acceptable`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token algorithm is not allowed';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'the token was signed by an unknown key';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  if (error instanceof joseErrors.JOSENotSupported) return 'the token algorithm is not supported';
  return 'the token is malformed';
}

function unauthenticated(message: string, cause?: unknown): OrchestratorError {
  return new OrchestratorError('UNAUTHENTICATED', message, {
    details: { tokenGiven: true },
    ...(cause === undefined ? {} : { cause }),
  });
}
