/**
 * The scopes of SPEC §3 and what a token request must carry to be granted each. `orch:admin` (client
 * management and audit checkpoints) is this product's addition; it asks for the operator's reason and
 * ticket like `orch:operate`, because everything it allows is an audited operator action.
 */
export const SCOPES = [
  'orch:read',
  'orch:submit',
  'orch:worker',
  'orch:operate',
  'orch:quota',
  'orch:backfill',
  'orch:admin',
] as const;

/** One scope of {@link SCOPES}. */
export type Scope = (typeof SCOPES)[number];

/** Whether `value` names a scope. */
export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** The token-request fields that carry an operator's reason and ticket (SPEC §3). */
export type GrantMetadataField =
  | 'operator_reason'
  | 'operator_ticket'
  | 'quota_reason'
  | 'quota_ticket'
  | 'backfill_reason'
  | 'backfill_ticket';

/** Every {@link GrantMetadataField}, reasons and tickets alternating. */
export const GRANT_METADATA_FIELDS: readonly GrantMetadataField[] = [
  'operator_reason',
  'operator_ticket',
  'quota_reason',
  'quota_ticket',
  'backfill_reason',
  'backfill_ticket',
];

/** The role of each scope and the fields a token request for it must carry. */
export const SCOPE_RULES: Readonly<
  Record<Scope, { readonly role: string; readonly requires: readonly GrantMetadataField[] }>
> = {
  'orch:read': { role: 'Orch.Viewer', requires: [] },
  'orch:submit': { role: 'Orch.Producer', requires: [] },
  'orch:worker': { role: 'Orch.Worker', requires: [] },
  'orch:operate': { role: 'Orch.Operator', requires: ['operator_reason', 'operator_ticket'] },
  'orch:quota': { role: 'Orch.Admin', requires: ['quota_reason'] },
  'orch:backfill': { role: 'Orch.Admin', requires: ['backfill_reason', 'backfill_ticket'] },
  'orch:admin': { role: 'Orch.Admin', requires: ['operator_reason', 'operator_ticket'] },
};

/** Whether `field` is a ticket (at most 128 characters) rather than a reason (at most 256). */
export function isTicketField(field: GrantMetadataField): boolean {
  return field.endsWith('_ticket');
}
