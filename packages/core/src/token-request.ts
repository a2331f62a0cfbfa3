import { OAuthError } from './oauth-error.js';
import { ANY_TENANT, isClientId, isTenantId } from './oauth-client.js';
import { OPERATOR_METADATA_LIMITS, operatorTextProblem } from './operator-metadata.js';
import {
  GRANT_METADATA_FIELDS,
  isScope,
  isTicketField,
  SCOPE_RULES,
  type GrantMetadataField,
  type Scope,
} from './scopes.js';

/** The parameters of a token request as received: the form fields, and HTTP Basic credentials if any. */
export interface TokenRequestInput {
  /** Form fields; each at most once (the HTTP adapter refuses repeats). */
  readonly form: Readonly<Record<string, string>>;
  /** From `Authorization: Basic`, already decoded (RFC 6749 §2.3.1). */
  readonly basic?: { readonly clientId: string; readonly clientSecret: string };
  /**
   * What the HTTP adapter found wrong before reading the fields (a body that is not a form, a repeated
   * parameter, an Authorization header that is not HTTP Basic): refused first, and audited like the rest.
   */
  readonly malformed?: { readonly error: 'invalid_request' | 'invalid_client'; readonly description: string };
}

/** The client's claimed identity, as the request gives it. */
export interface ClientAuthentication {
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * The grant type and the client's credentials of a token request.
 * @throws OAuthError `invalid_request` (a malformed request, no grant type, credentials both in Basic and the body),
 *   `unsupported_grant_type`, `invalid_client` (no or malformed credentials)
 */
export function readClientAuthentication(input: TokenRequestInput): ClientAuthentication {
  if (input.malformed !== undefined) throw new OAuthError(input.malformed.error, input.malformed.description);
  const grantType = input.form['grant_type'];
  if (grantType === undefined || grantType === '') {
    throw new OAuthError('invalid_request', 'grant_type is required (client_credentials)');
  }
  if (grantType !== 'client_credentials') {
    throw new OAuthError('unsupported_grant_type', `grant_type ${printable(grantType)} is not supported`);
  }
  const bodyId = input.form['client_id'];
  const bodySecret = input.form['client_secret'];
  if (input.basic !== undefined && bodySecret !== undefined) {
    throw new OAuthError('invalid_request', 'give the client secret once: HTTP Basic or the body, not both');
  }
  if (input.basic !== undefined && bodyId !== undefined && bodyId !== input.basic.clientId) {
    throw new OAuthError('invalid_request', 'client_id does not match the HTTP Basic credentials');
  }
  const clientId = input.basic?.clientId ?? bodyId;
  const clientSecret = input.basic?.clientSecret ?? bodySecret;
  if (clientId === undefined || clientId === '' || clientSecret === undefined || clientSecret === '') {
    throw new OAuthError('invalid_client', 'client authentication is required (client_id and client_secret)');
  }
  if (!isClientId(clientId) || clientSecret.length > 1024) {
    throw new OAuthError('invalid_client', 'client authentication failed');
  }
  return { clientId, clientSecret };
}

/** What a token request asks for, once its syntax and the SPEC §3 rules are checked. */
export interface RequestedGrant {
  readonly scopes: readonly Scope[];
  /**
   * `undefined` when the request names no tenant; `*` ({@link ANY_TENANT}) asks for a pool worker's token
   * (decision 0016 §6), which the Authority grants only with `orch:worker` alone.
   */
  readonly tenant: string | undefined;
  readonly metadata: Readonly<Partial<Record<GrantMetadataField, string>>>;
}

/**
 * The scopes, tenant and reason/ticket fields of a token request, checked: known scopes, each at most
 * once; a well-formed tenant, or exactly `*` (a pool token); reasons of at most 256 and tickets of at most 128 characters without control
 * characters; and the fields each requested scope requires (SPEC §3).
 * @throws OAuthError `invalid_request` or `invalid_scope`
 */
export function readRequestedGrant(form: Readonly<Record<string, string>>): RequestedGrant {
  const scopeText = form['scope'];
  if (scopeText === undefined || scopeText.trim() === '') {
    throw new OAuthError('invalid_request', 'scope is required (for example "orch:read")');
  }
  const names = scopeText.split(' ').filter((name) => name !== '');
  const unknown = names.filter((name) => !isScope(name));
  if (unknown.length > 0) {
    throw new OAuthError('invalid_scope', `unknown scope ${unknown.map(printable).join(', ')}`);
  }
  const scopes = [...new Set(names)] as Scope[];
  const tenant = form['tenant'] === '' ? undefined : form['tenant'];
  if (tenant !== undefined && !isRequestableTenant(tenant)) {
    throw new OAuthError(
      'invalid_request',
      'tenant must be 1–64 of A-Z a-z 0-9 . _ - (starting alphanumeric), or * for a pool worker',
    );
  }
  const metadata: Partial<Record<GrantMetadataField, string>> = {};
  for (const field of GRANT_METADATA_FIELDS) {
    const value = form[field];
    if (value === undefined) continue;
    const max = isTicketField(field)
      ? OPERATOR_METADATA_LIMITS.maxTicketLength
      : OPERATOR_METADATA_LIMITS.maxReasonLength;
    const problem = operatorTextProblem(value, max);
    if (problem !== null) throw new OAuthError('invalid_request', `${field} ${problem}`);
    metadata[field] = value;
  }
  for (const scope of scopes) {
    const missing = SCOPE_RULES[scope].requires.filter((field) => metadata[field] === undefined);
    if (missing.length > 0) {
      throw new OAuthError('invalid_request', `scope ${scope} requires ${missing.join(' and ')}`);
    }
  }
  return { scopes, tenant, metadata };
}

/** A tenant a token may be asked for: a well-formed tenant id, or `*` (the pool of every tenant). */
function isRequestableTenant(value: string): boolean {
  return value === ANY_TENANT || isTenantId(value);
}

/** A value quoted for an error description: at most 64 characters, control characters escaped. */
function printable(value: string): string {
  const shown = JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  return shown.replace(/\p{Cc}/gu, '?');
}

/**
 * What a refused request asked for, as far as it can be told: the known scopes, a well-formed tenant and
 * the reason/ticket values that pass the policy. For the audit entry of a refusal; never throws.
 */
export function summarizeRequestedGrant(form: Readonly<Record<string, string>>): RequestedGrant {
  const scopes = [...new Set((form['scope'] ?? '').split(' ').filter(isScope))];
  const tenantValue = form['tenant'];
  const tenant = tenantValue !== undefined && isRequestableTenant(tenantValue) ? tenantValue : undefined;
  const metadata: Partial<Record<GrantMetadataField, string>> = {};
  for (const field of GRANT_METADATA_FIELDS) {
    const value = form[field];
    const max = isTicketField(field)
      ? OPERATOR_METADATA_LIMITS.maxTicketLength
      : OPERATOR_METADATA_LIMITS.maxReasonLength;
    if (value !== undefined && operatorTextProblem(value, max) === null) metadata[field] = value;
  }
  return { scopes, tenant, metadata };
}
