import { isClientId, isScope, isTenantId, ANY_TENANT, type Scope } from '@stella-orch/core';
import { isSecretHash } from './authority/scrypt-secret-hasher.js';
import { ConfigError } from './config-error.js';

/** A client declared in the configuration file. Exactly one of `clientSecret` / `clientSecretHash`. */
export interface ConfiguredClient {
  readonly clientId: string;
  readonly displayName: string;
  /** A plain secret: for development only (hashed when the server starts). */
  readonly clientSecret: string | null;
  /** A hash made by `stella-orch clients hash-secret`: for production. */
  readonly clientSecretHash: string | null;
  readonly scopes: readonly Scope[];
  readonly tenants: readonly string[];
}

/** Trust an external issuer's tokens instead of issuing them. */
export interface ExternalIssuerConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  /** Accepted signature algorithms (asymmetric only). */
  readonly algorithms: readonly string[];
}

/** A token bucket: a steady rate and a burst. */
export interface RateLimitConfig {
  readonly requestsPerSecond: number;
  readonly burst: number;
}

/** The `authority` section of the configuration. */
export interface AuthorityConfig {
  /** The `iss` of the tokens issued here, and of the discovery document. */
  readonly issuer: string;
  /** The `aud` of the tokens issued here. */
  readonly audience: string;
  readonly tokenLifetimeSeconds: number;
  /** The tenant of a token request that names none, for clients allowed it among several; `null`: none. */
  readonly defaultTenant: string | null;
  readonly clients: readonly ConfiguredClient[];
  /** When set, the built-in token endpoint is off and tokens of this issuer are trusted. */
  readonly external: ExternalIssuerConfig | null;
  /** Per API client (the token's `client_id`), per replica. */
  readonly rateLimit: RateLimitConfig;
  /** Per remote address on `POST /connect/token`, per replica. */
  readonly tokenRateLimit: RateLimitConfig;
  /** Create an admin, a producer and a worker client on the first start of an empty registry. */
  readonly bootstrapClients: boolean;
}

/** The `audit` section of the configuration. */
export interface AuditConfig {
  /** How often each tenant's chain head is checkpointed (signed); 0 turns periodic checkpoints off. */
  readonly checkpointIntervalMs: number;
  /** Archive-then-remove of old entries; `null` keeps everything. */
  readonly retention: AuditRetentionConfig | null;
}

/** Audit retention: entries older than the policy are archived to `archiveDir`, then removed. */
export interface AuditRetentionConfig {
  readonly archiveDir: string;
  readonly defaultMaxAgeDays: number;
  readonly tenantMaxAgeDays: Readonly<Record<string, number>>;
  readonly intervalMs: number;
}

export const DEFAULT_AUTHORITY_CONFIG: AuthorityConfig = {
  issuer: 'stella-orch',
  audience: 'stella-orch-api',
  tokenLifetimeSeconds: 900,
  defaultTenant: 'default',
  clients: [],
  external: null,
  rateLimit: { requestsPerSecond: 2_000, burst: 4_000 },
  tokenRateLimit: { requestsPerSecond: 5, burst: 20 },
  bootstrapClients: true,
};

export const DEFAULT_AUDIT_CONFIG: AuditConfig = { checkpointIntervalMs: 300_000, retention: null };

type Raw = Record<string, unknown>;

function object(value: unknown, key: string): Raw {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(key, 'must be an object');
  }
  return value as Raw;
}

function onlyKeys(raw: Raw, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) throw new ConfigError(`${prefix}.${key}`, 'is not a configuration key');
  }
}

function text(raw: Raw, key: string, prefix: string, fallback?: string): string {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError(`${prefix}.${key}`, 'must be a non-empty string');
  }
  return value;
}

function count(raw: Raw, key: string, prefix: string, min: number, max: number, fallback: number): number {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${prefix}.${key}`, `must be a number from ${min} to ${max}`);
  }
  return value;
}

function strings(raw: Raw, key: string, prefix: string): string[] {
  const value = raw[key];
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string')) {
    throw new ConfigError(`${prefix}.${key}`, 'must be a non-empty array of strings');
  }
  return value;
}

function rateLimit(value: unknown, key: string, fallback: RateLimitConfig): RateLimitConfig {
  if (value === undefined) return fallback;
  const raw = object(value, key);
  onlyKeys(raw, ['requestsPerSecond', 'burst'], key);
  return {
    requestsPerSecond: count(raw, 'requestsPerSecond', key, 0.001, 1_000_000, fallback.requestsPerSecond),
    burst: count(raw, 'burst', key, 1, 10_000_000, fallback.burst),
  };
}

function configuredClient(value: unknown, index: number): ConfiguredClient {
  const prefix = `authority.clients[${index}]`;
  const raw = object(value, prefix);
  onlyKeys(raw, ['clientId', 'displayName', 'clientSecret', 'clientSecretHash', 'scopes', 'tenants'], prefix);
  const clientId = text(raw, 'clientId', prefix);
  if (!isClientId(clientId))
    throw new ConfigError(`${prefix}.clientId`, 'must be 1–128 of A-Z a-z 0-9 . _ -');
  const secret = raw['clientSecret'];
  const hash = raw['clientSecretHash'];
  if ((secret === undefined) === (hash === undefined)) {
    throw new ConfigError(prefix, 'give exactly one of clientSecret (development) and clientSecretHash');
  }
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < 16)) {
    throw new ConfigError(`${prefix}.clientSecret`, 'must be a string of at least 16 characters');
  }
  if (hash !== undefined && (typeof hash !== 'string' || !isSecretHash(hash))) {
    throw new ConfigError(
      `${prefix}.clientSecretHash`,
      'must be a hash made by `stella-orch clients hash-secret`',
    );
  }
  const scopes = strings(raw, 'scopes', prefix);
  const unknown = scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0) throw new ConfigError(`${prefix}.scopes`, `unknown scope ${unknown.join(', ')}`);
  const tenants = strings(raw, 'tenants', prefix);
  const bad = tenants.filter((tenant) => tenant !== ANY_TENANT && !isTenantId(tenant));
  if (bad.length > 0) throw new ConfigError(`${prefix}.tenants`, `not a tenant id: ${bad.join(', ')}`);
  return {
    clientId,
    displayName: text(raw, 'displayName', prefix, clientId),
    clientSecret: typeof secret === 'string' ? secret : null,
    clientSecretHash: typeof hash === 'string' ? hash : null,
    scopes: scopes as Scope[],
    tenants,
  };
}

function externalIssuer(value: unknown): ExternalIssuerConfig | null {
  if (value === undefined || value === null) return null;
  const prefix = 'authority.external';
  const raw = object(value, prefix);
  onlyKeys(raw, ['issuer', 'audience', 'jwksUrl', 'algorithms'], prefix);
  const jwksUrl = text(raw, 'jwksUrl', prefix);
  if (!/^https?:\/\//.test(jwksUrl)) throw new ConfigError(`${prefix}.jwksUrl`, 'must be an http(s) URL');
  const algorithms =
    raw['algorithms'] === undefined
      ? ['RS256', 'PS256', 'ES256', 'EdDSA']
      : strings(raw, 'algorithms', prefix);
  const refused = algorithms.filter((alg) => /^(none|HS\d+)$/i.test(alg));
  if (refused.length > 0) {
    throw new ConfigError(
      `${prefix}.algorithms`,
      `${refused.join(', ')} may not be accepted: asymmetric algorithms only`,
    );
  }
  return {
    issuer: text(raw, 'issuer', prefix),
    audience: text(raw, 'audience', prefix),
    jwksUrl,
    algorithms,
  };
}

/** Checks the `authority` section, filling in defaults. @throws ConfigError */
export function validateAuthorityConfig(value: unknown): AuthorityConfig {
  if (value === undefined) return DEFAULT_AUTHORITY_CONFIG;
  const prefix = 'authority';
  const raw = object(value, prefix);
  onlyKeys(raw, Object.keys(DEFAULT_AUTHORITY_CONFIG), prefix);
  const clientsValue = raw['clients'] ?? [];
  if (!Array.isArray(clientsValue)) throw new ConfigError('authority.clients', 'must be an array');
  const clients = clientsValue.map(configuredClient);
  const ids = new Set<string>();
  for (const client of clients) {
    if (ids.has(client.clientId))
      throw new ConfigError('authority.clients', `${client.clientId} is declared twice`);
    ids.add(client.clientId);
  }
  const defaultTenant =
    raw['defaultTenant'] === undefined ? DEFAULT_AUTHORITY_CONFIG.defaultTenant : raw['defaultTenant'];
  if (defaultTenant !== null && (typeof defaultTenant !== 'string' || !isTenantId(defaultTenant))) {
    throw new ConfigError('authority.defaultTenant', 'must be a tenant id or null');
  }
  const bootstrap = raw['bootstrapClients'] ?? DEFAULT_AUTHORITY_CONFIG.bootstrapClients;
  if (typeof bootstrap !== 'boolean')
    throw new ConfigError('authority.bootstrapClients', 'must be true or false');
  return {
    issuer: text(raw, 'issuer', prefix, DEFAULT_AUTHORITY_CONFIG.issuer),
    audience: text(raw, 'audience', prefix, DEFAULT_AUTHORITY_CONFIG.audience),
    tokenLifetimeSeconds: count(raw, 'tokenLifetimeSeconds', prefix, 60, 86_400, 900),
    defaultTenant,
    clients,
    external: externalIssuer(raw['external']),
    rateLimit: rateLimit(raw['rateLimit'], 'authority.rateLimit', DEFAULT_AUTHORITY_CONFIG.rateLimit),
    tokenRateLimit: rateLimit(
      raw['tokenRateLimit'],
      'authority.tokenRateLimit',
      DEFAULT_AUTHORITY_CONFIG.tokenRateLimit,
    ),
    bootstrapClients: bootstrap,
  };
}

/** Checks the `audit` section, filling in defaults. @throws ConfigError */
export function validateAuditConfig(value: unknown): AuditConfig {
  if (value === undefined) return DEFAULT_AUDIT_CONFIG;
  const raw = object(value, 'audit');
  onlyKeys(raw, ['checkpointIntervalMs', 'retention'], 'audit');
  const checkpointIntervalMs = count(raw, 'checkpointIntervalMs', 'audit', 0, 86_400_000, 300_000);
  const retentionValue = raw['retention'];
  if (retentionValue === undefined || retentionValue === null)
    return { checkpointIntervalMs, retention: null };
  const prefix = 'audit.retention';
  const retention = object(retentionValue, prefix);
  onlyKeys(retention, ['archiveDir', 'defaultMaxAgeDays', 'tenantMaxAgeDays', 'intervalMs'], prefix);
  const perTenant = object(retention['tenantMaxAgeDays'] ?? {}, `${prefix}.tenantMaxAgeDays`);
  const tenantMaxAgeDays: Record<string, number> = {};
  for (const tenant of Object.keys(perTenant)) {
    if (!isTenantId(tenant))
      throw new ConfigError(`${prefix}.tenantMaxAgeDays.${tenant}`, 'is not a tenant id');
    tenantMaxAgeDays[tenant] = count(perTenant, tenant, `${prefix}.tenantMaxAgeDays`, 1, 36_500, 0);
  }
  return {
    checkpointIntervalMs,
    retention: {
      archiveDir: text(retention, 'archiveDir', prefix),
      defaultMaxAgeDays: count(retention, 'defaultMaxAgeDays', prefix, 1, 36_500, 365),
      tenantMaxAgeDays,
      intervalMs: count(retention, 'intervalMs', prefix, 1_000, 86_400_000, 3_600_000),
    },
  };
}
