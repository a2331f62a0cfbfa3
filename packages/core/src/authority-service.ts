import type { AccessTokenClaims, TokenIssuer, TokenResponse } from './access-token.js';
import type { AuditRecord, AuditState } from './audit-entry.js';
import type { AuditTrail } from './audit-trail.js';
import type { JsonValue } from './canonical-json.js';
import { OAuthError } from './oauth-error.js';
import {
  ANY_TENANT,
  AUTHORITY_TENANT,
  clientAllowsTenant,
  isClientId,
  type OAuthClient,
} from './oauth-client.js';
import type { Clock, Ids } from './ports.js';
import type { GrantMetadataField, Scope } from './scopes.js';
import {
  readClientAuthentication,
  readRequestedGrant,
  summarizeRequestedGrant,
  type RequestedGrant,
  type TokenRequestInput,
} from './token-request.js';

/** Finds a client by id, wherever it is declared (configuration file or registry). */
export interface ClientDirectory {
  findClient(clientId: string): Promise<OAuthClient | null>;
}

/** Hashes and checks client secrets (a slow, salted hash outside the core). */
export interface SecretHasher {
  /** A self-describing hash of `secret`. */
  hash(secret: string): Promise<string>;
  /**
   * Whether `secret` matches `hash`, compared in constant time. With `hash` `null` (no such client) it
   * does the same work and answers `false`, so that timing does not tell which client ids exist.
   */
  verify(secret: string, hash: string | null): Promise<boolean>;
}

/** The Authority's settings. */
export interface AuthorityOptions {
  /** The `iss` of the tokens issued. */
  readonly issuer: string;
  /** The `aud` of the tokens issued: this orchestrator. */
  readonly audience: string;
  /** How long a token lives (default 900 s). */
  readonly tokenLifetimeSeconds: number;
  /**
   * The tenant of a request that names none, from a client allowed several tenants (if it may use this
   * one). Without it, such a request is refused.
   */
  readonly defaultTenant?: string;
}

/** What the Authority is built from. */
export interface AuthorityServiceDeps {
  readonly clients: ClientDirectory;
  readonly secrets: SecretHasher;
  readonly issuer: TokenIssuer;
  readonly audit: AuditTrail;
  readonly clock: Clock;
  readonly ids: Ids;
}

/** Token-request fields that land in the audit entry's `after` (the operator's go to reason and ticket). */
const AFTER_FIELDS: readonly (readonly [GrantMetadataField, string])[] = [
  ['quota_reason', 'quotaReason'],
  ['quota_ticket', 'quotaTicket'],
  ['backfill_reason', 'backfillReason'],
  ['backfill_ticket', 'backfillTicket'],
];

/**
 * The built-in token service (SPEC §3): OAuth 2.0 client credentials. Every grant and every refusal is
 * recorded in an audit trail — a grant in the chain of the tenant the token is for, a refusal there too
 * when the client authenticated and may use that tenant, otherwise in the {@link AUTHORITY_TENANT} chain.
 * A pool worker's token (tenant `*`) is recorded in the {@link AUTHORITY_TENANT} chain, granted or
 * refused. Secrets are never recorded.
 */
export class AuthorityService {
  readonly #deps: AuthorityServiceDeps;
  readonly #options: AuthorityOptions;

  constructor(deps: AuthorityServiceDeps, options: AuthorityOptions) {
    this.#deps = deps;
    this.#options = options;
  }

  /**
   * Grants an access token, or refuses with the RFC 6749 error; either way the outcome is audited first.
   * @throws OAuthError for a refused request (recorded); an `OrchestratorError` when the ledger fails
   *   (nothing issued)
   */
  async grantToken(input: TokenRequestInput, correlationId: string): Promise<TokenResponse> {
    let client: OAuthClient | null = null;
    try {
      const credentials = readClientAuthentication(input);
      client = await this.#authenticate(credentials.clientId, credentials.clientSecret);
      const grant = readRequestedGrant(input.form);
      const tenant = this.#tenantFor(client, grant);
      return await this.#issue(client, grant, tenant, correlationId);
    } catch (error) {
      if (error instanceof OAuthError) await this.#recordRefusal(input, client, error, correlationId);
      throw error;
    }
  }

  async #authenticate(clientId: string, secret: string): Promise<OAuthClient> {
    const client = await this.#deps.clients.findClient(clientId);
    const usable = client !== null && !client.disabled;
    const matches = await this.#deps.secrets.verify(secret, usable ? client.secretHash : null);
    if (!usable || !matches) throw new OAuthError('invalid_client', 'client authentication failed');
    return client;
  }

  #tenantFor(client: OAuthClient, grant: RequestedGrant): string {
    const refused = grant.scopes.filter((scope) => !client.allowedScopes.includes(scope));
    if (refused.length > 0) {
      throw new OAuthError(
        'invalid_scope',
        `client ${client.clientId} may not request ${refused.join(', ')}`,
      );
    }
    const onlyTenant =
      client.allowedTenants.length === 1 && client.allowedTenants[0] !== ANY_TENANT
        ? client.allowedTenants[0]
        : undefined;
    const { defaultTenant } = this.#options;
    const fallback =
      defaultTenant !== undefined && clientAllowsTenant(client, defaultTenant) ? defaultTenant : undefined;
    const tenant = grant.tenant ?? onlyTenant ?? fallback;
    if (tenant === undefined) {
      throw new OAuthError(
        'invalid_request',
        `tenant is required: client ${client.clientId} may use several`,
      );
    }
    if (tenant === ANY_TENANT) return poolTenantFor(client, grant);
    if (!clientAllowsTenant(client, tenant)) {
      throw new OAuthError(
        'invalid_target',
        `client ${client.clientId} may not request tokens for ${tenant}`,
      );
    }
    return tenant;
  }

  async #issue(
    client: OAuthClient,
    grant: RequestedGrant,
    tenant: string,
    correlationId: string,
  ): Promise<TokenResponse> {
    const now = Math.floor(this.#deps.clock.nowMs() / 1000);
    const lifetime = this.#options.tokenLifetimeSeconds;
    const scope = grant.scopes.join(' ');
    const claims: AccessTokenClaims = {
      iss: this.#options.issuer,
      aud: this.#options.audience,
      sub: client.clientId,
      client_id: client.clientId,
      scope,
      tenant,
      jti: this.#deps.ids.uuid(),
      iat: now,
      nbf: now,
      exp: now + lifetime,
      ...grant.metadata,
    };
    const token = await this.#deps.issuer.issue(claims);
    await this.#deps.audit.forTenant(auditTenantOf(tenant)).appendAuditEntry(
      grantRecord({
        clientId: client.clientId,
        grant,
        correlationId,
        after: {
          outcome: 'granted',
          scopes: [...grant.scopes],
          tenant,
          jti: claims.jti,
          expiresAt: new Date(claims.exp * 1000).toISOString(),
        },
      }),
    );
    return { access_token: token, token_type: 'Bearer', expires_in: lifetime, scope, tenant };
  }

  async #recordRefusal(
    input: TokenRequestInput,
    client: OAuthClient | null,
    error: OAuthError,
    correlationId: string,
  ): Promise<void> {
    const summary = summarizeRequestedGrant(input.form);
    const claimedId = input.basic?.clientId ?? input.form['client_id'];
    const clientId =
      client?.clientId ?? (claimedId !== undefined && isClientId(claimedId) ? claimedId : null);
    const tenant =
      client !== null && summary.tenant !== undefined && clientAllowsTenant(client, summary.tenant)
        ? auditTenantOf(summary.tenant)
        : AUTHORITY_TENANT;
    const after: Record<string, JsonValue> = {
      outcome: 'refused',
      error: error.error,
      description: error.message,
      clientAuthenticated: client !== null,
      scopes: [...summary.scopes],
    };
    if (summary.tenant !== undefined) after['tenant'] = summary.tenant;
    await this.#deps.audit
      .forTenant(tenant)
      .appendAuditEntry(grantRecord({ clientId, grant: summary, correlationId, after, refused: true }));
  }
}

/** The only scope a pool token (tenant `*`) may carry: it leases and acts on leases, nothing else. */
const POOL_TOKEN_SCOPE: Scope = 'orch:worker';

/**
 * The tenant `*` of a pool worker's token (decision 0016 §6), for a client allowed `*` that asks for
 * `orch:worker` alone: a token that reads or changes anything could do so in every tenant.
 * @throws OAuthError `invalid_target` (the client is not allowed `*`), `invalid_scope` (other scopes)
 */
function poolTenantFor(client: OAuthClient, grant: RequestedGrant): string {
  if (!client.allowedTenants.includes(ANY_TENANT)) {
    throw new OAuthError(
      'invalid_target',
      `client ${client.clientId} may not request pool tokens (tenant *): it is not allowed every tenant`,
    );
  }
  if (grant.scopes.length !== 1 || grant.scopes[0] !== POOL_TOKEN_SCOPE) {
    throw new OAuthError(
      'invalid_scope',
      `a pool token (tenant *) carries ${POOL_TOKEN_SCOPE} only: ask for another scope with a tenant`,
    );
  }
  return ANY_TENANT;
}

/**
 * The chain a grant or refusal for `tenant` is recorded in: the tenant's own, except for a pool token,
 * which belongs to no one tenant and goes to the {@link AUTHORITY_TENANT} chain (with client changes).
 */
function auditTenantOf(tenant: string): string {
  return tenant === ANY_TENANT ? AUTHORITY_TENANT : tenant;
}

function grantRecord(params: {
  readonly clientId: string | null;
  readonly grant: RequestedGrant;
  readonly correlationId: string;
  readonly after: AuditState;
  readonly refused?: boolean;
}): AuditRecord {
  const { grant } = params;
  const after: Record<string, JsonValue> = { ...params.after };
  for (const [field, key] of AFTER_FIELDS) {
    const value = grant.metadata[field];
    if (value !== undefined) after[key] = value;
  }
  const reason = grant.metadata.operator_reason;
  const ticket = grant.metadata.operator_ticket;
  return {
    actor: {
      subject: params.clientId ?? 'unknown-client',
      clientId: params.clientId,
      scopes: [...grant.scopes] as Scope[],
    },
    action: params.refused === true ? 'token.refuse' : 'token.grant',
    resourceType: 'client',
    resourceId: params.clientId ?? 'unknown-client',
    after,
    ...(reason === undefined ? {} : { reason }),
    ...(ticket === undefined ? {} : { ticket }),
    correlationId: params.correlationId,
  };
}
