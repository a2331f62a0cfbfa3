import {
  ANY_TENANT,
  isClientId,
  isScope,
  isTenantId,
  operatorTextProblem,
  OrchestratorError,
  type FieldError,
  type NewOAuthClient,
  type OAuthClient,
  type Scope,
} from '@stella-orch/core';
import type { ClientRow } from './queries/clients.js';
import { toIso, toIsoOrNull } from './row-mappers.js';

/** What orch.clients accepts of a display name and a secret hash (its CHECK constraints). */
const MAX_DISPLAY_NAME_LENGTH = 256;
const MAX_SECRET_HASH_LENGTH = 1024;

function toScope(value: string): Scope {
  if (isScope(value)) return value;
  throw new OrchestratorError('INTERNAL', `the ledger holds a client with an unknown scope ${value}`);
}

/** A registry row as the port's {@link OAuthClient}. */
export function mapClient(row: ClientRow): OAuthClient {
  return {
    clientId: row.client_id,
    displayName: row.display_name,
    allowedScopes: row.allowed_scopes.map(toScope),
    allowedTenants: [...row.allowed_tenants],
    secretHash: row.secret_hash,
    disabled: row.disabled,
    source: 'registry',
    createdAt: toIso(row.created_at),
    secretRotatedAt: toIsoOrNull(row.secret_rotated_at),
  };
}

/**
 * The field errors of a new client, as the registry's constraints would refuse it: a well-formed client
 * id, a display name of 1–256 characters without control characters, known scopes, tenant ids or `*`,
 * and a secret hash.
 */
export function checkNewClient(client: NewOAuthClient): FieldError[] {
  const errors: FieldError[] = [];
  if (!isClientId(client.clientId))
    errors.push({
      path: 'clientId',
      message: 'must be 1 to 128 of A-Z a-z 0-9 . _ -, starting alphanumeric',
    });
  // Shown in listings and terminals like an operator's reason: the same text policy.
  const nameProblem = operatorTextProblem(client.displayName, MAX_DISPLAY_NAME_LENGTH);
  if (nameProblem !== null) errors.push({ path: 'displayName', message: nameProblem });
  client.allowedScopes.forEach((scope, i) => {
    if (!isScope(scope)) errors.push({ path: `allowedScopes[${i}]`, message: 'is not a known scope' });
  });
  client.allowedTenants.forEach((tenant, i) => {
    if (tenant !== ANY_TENANT && !isTenantId(tenant))
      errors.push({ path: `allowedTenants[${i}]`, message: 'must be a tenant id or *' });
  });
  errors.push(...checkSecretHash(client.secretHash));
  return errors;
}

/** The field errors of a secret hash: present, and of a length the registry keeps. */
export function checkSecretHash(secretHash: string): FieldError[] {
  return secretHash.length === 0 || secretHash.length > MAX_SECRET_HASH_LENGTH
    ? [{ path: 'secretHash', message: `must be 1 to ${MAX_SECRET_HASH_LENGTH} characters` }]
    : [];
}
