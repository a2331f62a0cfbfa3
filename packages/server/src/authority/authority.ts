import {
  AuthorityService,
  type AuditTrail,
  type ClientRegistry,
  type Clock,
  type Ids,
  type OAuthClient,
  type SecretHasher,
  type SigningKeyStore,
} from '@stella-orch/core';
import type { AuthorityConfig } from '../authority-config.js';
import { ConfiguredClientDirectory } from './client-directory.js';
import { JwtTokenIssuer } from './jwt-token-issuer.js';
import { JwtTokenVerifier, ownTokenExpectations } from './jwt-token-verifier.js';
import { RateLimiter } from './rate-limiter.js';
import { ScryptSecretHasher } from './scrypt-secret-hasher.js';

/** Everything the HTTP layer needs of the Authority. */
export interface Authority {
  readonly config: AuthorityConfig;
  readonly verifier: JwtTokenVerifier;
  /** The token service; `null` when an external issuer is trusted instead. */
  readonly tokens: AuthorityService | null;
  /** The issuer, to reload its key after a rotation; `null` with an external issuer. */
  readonly issuer: JwtTokenIssuer | null;
  readonly clients: ConfiguredClientDirectory;
  readonly registry: ClientRegistry;
  readonly secrets: SecretHasher;
  readonly keys: SigningKeyStore;
  /** The audit trail the Authority records in. */
  readonly audit: AuditTrail;
  /** Per API client. */
  readonly apiLimiter: RateLimiter;
  /** Per remote address, on the token endpoint. */
  readonly tokenLimiter: RateLimiter;
}

/** What {@link buildAuthority} needs. */
export interface AuthorityDeps {
  readonly config: AuthorityConfig;
  readonly registry: ClientRegistry;
  readonly keys: SigningKeyStore;
  readonly audit: AuditTrail;
  readonly ids: Ids;
  readonly clock: Clock;
  /** The secret hasher; scrypt at production cost by default. */
  readonly secrets?: SecretHasher;
}

/**
 * Builds the Authority: the configured clients (development secrets hashed now, in memory), the token
 * service and verifier on the ledger's own keys — or, with `external`, a verifier of that issuer's tokens.
 */
export async function buildAuthority(deps: AuthorityDeps): Promise<Authority> {
  const { config } = deps;
  const secrets = deps.secrets ?? new ScryptSecretHasher();
  const configured: OAuthClient[] = [];
  for (const client of config.clients) {
    configured.push({
      clientId: client.clientId,
      displayName: client.displayName,
      allowedScopes: client.scopes,
      allowedTenants: client.tenants,
      secretHash: client.clientSecretHash ?? (await secrets.hash(client.clientSecret ?? '')),
      disabled: false,
      source: 'config',
      createdAt: null,
      secretRotatedAt: null,
    });
  }
  const clients = new ConfiguredClientDirectory(configured, deps.registry);
  const external = config.external;
  const issuer = external === null ? new JwtTokenIssuer(deps.keys) : null;
  const verifier =
    external === null
      ? new JwtTokenVerifier(
          { kind: 'ledger', keys: deps.keys },
          ownTokenExpectations(config.issuer, config.audience),
        )
      : new JwtTokenVerifier({ kind: 'jwks', jwksUrl: external.jwksUrl }, external);
  const tokens =
    issuer === null
      ? null
      : new AuthorityService(
          { clients, secrets, issuer, audit: deps.audit, clock: deps.clock, ids: deps.ids },
          {
            issuer: config.issuer,
            audience: config.audience,
            tokenLifetimeSeconds: config.tokenLifetimeSeconds,
            ...(config.defaultTenant === null ? {} : { defaultTenant: config.defaultTenant }),
          },
        );
  return {
    config,
    verifier,
    tokens,
    issuer,
    clients,
    registry: deps.registry,
    secrets,
    keys: deps.keys,
    audit: deps.audit,
    apiLimiter: new RateLimiter(config.rateLimit),
    tokenLimiter: new RateLimiter(config.tokenRateLimit),
  };
}
