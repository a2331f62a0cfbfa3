import type { Scope } from './scopes.js';

/** The tenant pattern `allowedTenants` may use to admit every tenant. */
export const ANY_TENANT = '*';

/**
 * The tenant whose audit chain records what belongs to no tenant: client management, and refused token
 * requests that name no usable tenant. A client allowed this tenant (or `*`) can read that chain.
 */
export const AUTHORITY_TENANT = 'system';

/** Where a client is declared: the configuration file (read-only at run time) or the ledger's registry. */
export type ClientSource = 'config' | 'registry';

/** An OAuth client of the built-in Authority (SPEC §3). The secret is only ever held hashed. */
export interface OAuthClient {
  readonly clientId: string;
  readonly displayName: string;
  /** The scopes this client may request. */
  readonly allowedScopes: readonly Scope[];
  /** The tenants this client may request tokens for; `*` admits all. */
  readonly allowedTenants: readonly string[];
  /** A self-describing hash of the secret (`scrypt$…`), never the secret. */
  readonly secretHash: string;
  readonly disabled: boolean;
  readonly source: ClientSource;
  /** ISO-8601; `null` for clients declared in the configuration. */
  readonly createdAt: string | null;
  readonly secretRotatedAt: string | null;
}

/** What the registry keeps of a new client. */
export interface NewOAuthClient {
  readonly clientId: string;
  readonly displayName: string;
  readonly allowedScopes: readonly Scope[];
  readonly allowedTenants: readonly string[];
  readonly secretHash: string;
}

/** Whether `client` may ask for tokens of `tenantId`. */
export function clientAllowsTenant(client: OAuthClient, tenantId: string): boolean {
  return client.allowedTenants.includes(ANY_TENANT) || client.allowedTenants.includes(tenantId);
}

const CLIENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Whether `value` is a well-formed client id: 1–128 of `A-Z a-z 0-9 . _ -`, starting alphanumeric. */
export function isClientId(value: string): boolean {
  return CLIENT_ID_PATTERN.test(value);
}

const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Whether `value` is a well-formed tenant id: 1–64 of `A-Z a-z 0-9 . _ -`, starting alphanumeric. */
export function isTenantId(value: string): boolean {
  return TENANT_PATTERN.test(value);
}
