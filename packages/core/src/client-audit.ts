import type { AuditMetadata, AuditRecord, AuditState } from './audit-entry.js';
import type { Actor } from './job.js';
import type { OAuthClient } from './oauth-client.js';

/** The changes of the client registry, each recorded in the chain of `AUTHORITY_TENANT`. */
export const CLIENT_AUDIT_ACTIONS = [
  'client.add',
  'client.rotate_secret',
  'client.disable',
  'client.enable',
] as const;

/** A change of the client registry. */
export type ClientAuditAction = (typeof CLIENT_AUDIT_ACTIONS)[number];

/**
 * The client state an audit entry keeps before and after a change: what an auditor needs to see, and
 * never the secret or its hash (a rotation shows as a new `secretRotatedAt`).
 */
export function clientAuditState(
  client: Pick<
    OAuthClient,
    'displayName' | 'allowedScopes' | 'allowedTenants' | 'disabled' | 'secretRotatedAt'
  >,
): AuditState {
  return {
    displayName: client.displayName,
    scopes: [...client.allowedScopes],
    tenants: [...client.allowedTenants],
    disabled: client.disabled,
    secretRotatedAt: client.secretRotatedAt,
  };
}

/**
 * The record of a change of the client registry: `resourceType` `client`, the client id as the resource,
 * the client before (absent for `client.add`) and after, and the change's reason, tickets and
 * correlation id.
 *
 * @param params.before - the client as the change found it; `null` for `client.add`
 * @param params.after - the client after the change
 * @param params.audit - the metadata of the change; without a correlation id, the entry correlates with
 *   the client (`client:<clientId>`)
 */
export function clientAuditRecord(params: {
  readonly action: ClientAuditAction;
  readonly actor: Actor;
  readonly before: OAuthClient | null;
  readonly after: OAuthClient;
  readonly audit?: AuditMetadata;
}): AuditRecord {
  const { audit = {}, before, after } = params;
  return {
    actor: params.actor,
    action: params.action,
    resourceType: 'client',
    resourceId: after.clientId,
    ...(before === null ? {} : { before: clientAuditState(before) }),
    after: clientAuditState(after),
    ...(audit.reason === undefined ? {} : { reason: audit.reason }),
    ...(audit.ticket === undefined ? {} : { ticket: audit.ticket }),
    ...(audit.requestReason === undefined ? {} : { requestReason: audit.requestReason }),
    ...(audit.requestTicket === undefined ? {} : { requestTicket: audit.requestTicket }),
    correlationId: audit.correlationId ?? `client:${after.clientId}`,
  };
}
