/** The scopes the orchestrator's Authority grants (docs/api.md, "Authentication"). */
export const ORCHESTRATOR_SCOPES = [
  'orch:read',
  'orch:submit',
  'orch:worker',
  'orch:operate',
  'orch:quota',
  'orch:backfill',
  'orch:admin',
] as const;

/** One scope of {@link ORCHESTRATOR_SCOPES}. */
export type OrchestratorScope = (typeof ORCHESTRATOR_SCOPES)[number];

/** Whether `value` names an orchestrator scope. */
export function isOrchestratorScope(value: string): value is OrchestratorScope {
  return (ORCHESTRATOR_SCOPES as readonly string[]).includes(value);
}

/**
 * An OAuth client's credentials and what its tokens should carry (RFC 6749 client credentials grant).
 * `orch:operate` and `orch:admin` need `operatorReason` and `operatorTicket`, `orch:quota` needs
 * `quotaReason`, `orch:backfill` needs `backfillReason` and `backfillTicket`: they are recorded in the audit
 * entries of what the token is used for. Reasons are at most 256 characters, tickets 128, and neither may
 * hold control characters; the Authority refuses the token otherwise (`invalid_request`).
 */
export interface ClientCredentials {
  readonly clientId: string;
  /** Sent only to the token endpoint; never logged and never part of an error. */
  readonly clientSecret: string;
  /** The scopes to ask for; a client may only get those it is allowed. */
  readonly scopes: readonly OrchestratorScope[];
  /** The tenant the token is for; the client's `tenant` option, else the Authority's choice. */
  readonly tenant?: string;
  readonly operatorReason?: string;
  readonly operatorTicket?: string;
  readonly quotaReason?: string;
  readonly quotaTicket?: string;
  readonly backfillReason?: string;
  readonly backfillTicket?: string;
  /** The token endpoint; `<baseUrl>/connect/token` by default. */
  readonly tokenUrl?: string;
}

/** A bearer token as given, or a function returning the current one (called for every attempt). */
export type AccessTokenSource = string | (() => Promise<string>);

/** The token endpoint below a base URL: `<baseUrl>/connect/token`, at the server root. */
export function defaultTokenUrl(baseUrl: string): string {
  return `${new URL(baseUrl).href.replace(/\/+$/, '')}/connect/token`;
}

/** The form fields of a token request for `credentials` (the secret included: for the token endpoint only). */
export function tokenRequestForm(
  credentials: ClientCredentials,
  tenant: string | undefined,
): Record<string, string> {
  const optional: readonly (readonly [string, string | undefined])[] = [
    ['tenant', tenant],
    ['operator_reason', credentials.operatorReason],
    ['operator_ticket', credentials.operatorTicket],
    ['quota_reason', credentials.quotaReason],
    ['quota_ticket', credentials.quotaTicket],
    ['backfill_reason', credentials.backfillReason],
    ['backfill_ticket', credentials.backfillTicket],
  ];
  const form: Record<string, string> = {
    grant_type: 'client_credentials',
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
    scope: credentials.scopes.join(' '),
  };
  for (const [name, value] of optional) if (value !== undefined) form[name] = value;
  return form;
}
