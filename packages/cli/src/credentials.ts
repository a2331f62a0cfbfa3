import type { ClientCredentials, OrchestratorScope } from '@stella-orch/client';
import { UsageError } from './exit-codes.js';

/** What a command asks the Authority for: the scopes its calls need, and its name for messages. */
export interface CommandAccess {
  /** The command as typed, such as `jobs cancel`. */
  readonly action: string;
  readonly scopes: readonly OrchestratorScope[];
}

/** The reasons and tickets a token request may carry (`--reason`, `--quota-reason`, …). */
export interface GrantMetadata {
  readonly operatorReason?: string | undefined;
  readonly operatorTicket?: string | undefined;
  readonly quotaReason?: string | undefined;
  readonly quotaTicket?: string | undefined;
  readonly backfillReason?: string | undefined;
  readonly backfillTicket?: string | undefined;
}

/** One reason or ticket: its flag, its environment variable, and its limit. */
interface MetadataField {
  readonly key: keyof GrantMetadata;
  readonly flag: string;
  readonly env: string;
  readonly maxLength: number;
}

const OPERATOR_REASON: MetadataField = {
  key: 'operatorReason',
  flag: '--reason',
  env: 'STELLA_ORCH_OPERATOR_REASON',
  maxLength: 256,
};
const OPERATOR_TICKET: MetadataField = {
  key: 'operatorTicket',
  flag: '--ticket',
  env: 'STELLA_ORCH_OPERATOR_TICKET',
  maxLength: 128,
};
const QUOTA_REASON: MetadataField = {
  key: 'quotaReason',
  flag: '--quota-reason',
  env: 'STELLA_ORCH_QUOTA_REASON',
  maxLength: 256,
};
const QUOTA_TICKET: MetadataField = {
  key: 'quotaTicket',
  flag: '--quota-ticket',
  env: 'STELLA_ORCH_QUOTA_TICKET',
  maxLength: 128,
};
const BACKFILL_REASON: MetadataField = {
  key: 'backfillReason',
  flag: '--backfill-reason',
  env: 'STELLA_ORCH_BACKFILL_REASON',
  maxLength: 256,
};
const BACKFILL_TICKET: MetadataField = {
  key: 'backfillTicket',
  flag: '--backfill-ticket',
  env: 'STELLA_ORCH_BACKFILL_TICKET',
  maxLength: 128,
};

/** Every reason and ticket, with the flag and environment variable that give it. */
export const GRANT_METADATA_FIELDS: readonly MetadataField[] = [
  OPERATOR_REASON,
  OPERATOR_TICKET,
  QUOTA_REASON,
  QUOTA_TICKET,
  BACKFILL_REASON,
  BACKFILL_TICKET,
];

/** What a scope needs in a token request (the Authority's rules), what it sends when given, and its kind. */
interface ScopeGrant {
  readonly kind: string;
  readonly required: readonly MetadataField[];
  readonly sent: readonly MetadataField[];
}

const OPERATOR_GRANT = [OPERATOR_REASON, OPERATOR_TICKET];

const SCOPE_GRANTS: Partial<Record<OrchestratorScope, ScopeGrant>> = {
  'orch:operate': { kind: 'an operator action', required: OPERATOR_GRANT, sent: OPERATOR_GRANT },
  'orch:admin': { kind: 'an administrative action', required: OPERATOR_GRANT, sent: OPERATOR_GRANT },
  'orch:quota': { kind: 'a quota action', required: [QUOTA_REASON], sent: [QUOTA_REASON, QUOTA_TICKET] },
  'orch:backfill': {
    kind: 'a backfill action',
    required: [BACKFILL_REASON, BACKFILL_TICKET],
    sent: [BACKFILL_REASON, BACKFILL_TICKET],
  },
};

/** The client id and secret as the global options give them. */
export interface ClientLogin {
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
}

/**
 * The credentials of a command: the client, the scopes it needs, the tenant, and the reasons and tickets
 * those scopes require (only those: a read sends no operator reason). Checked before anything is sent.
 * @throws UsageError naming what is missing or malformed and how to give it
 */
export function credentialsFor(
  access: CommandAccess,
  login: ClientLogin,
  tenant: string | undefined,
  metadata: GrantMetadata,
): ClientCredentials {
  const { clientId, clientSecret } = login;
  if (clientId === undefined) {
    throw new UsageError(
      `${access.action} needs client credentials: give --client-id (or STELLA_ORCH_CLIENT_ID) and the ` +
        'secret in STELLA_ORCH_CLIENT_SECRET (or --client-secret)',
    );
  }
  if (clientSecret === undefined) {
    throw new UsageError(
      `${access.action} needs the secret of client ${clientId}: set STELLA_ORCH_CLIENT_SECRET ` +
        '(or give --client-secret)',
    );
  }
  const sent = new Map<keyof GrantMetadata, MetadataField>();
  for (const scope of access.scopes) {
    const grant = SCOPE_GRANTS[scope];
    if (grant === undefined) continue;
    const missing = grant.required.filter((f) => metadata[f.key] === undefined);
    if (missing.length > 0) {
      const flags = missing.map((f) => f.flag).join(' and ');
      const envs = missing.map((f) => f.env).join(' / ');
      throw new UsageError(`${access.action} is ${grant.kind}: give ${flags} (or ${envs})`);
    }
    for (const f of grant.sent) sent.set(f.key, f);
  }
  const granted: Partial<Record<keyof GrantMetadata, string>> = {};
  for (const f of sent.values()) {
    const value = metadata[f.key];
    if (value === undefined) continue;
    checkMetadata(f, value);
    granted[f.key] = value;
  }
  return {
    clientId,
    clientSecret,
    scopes: access.scopes,
    ...(tenant === undefined ? {} : { tenant }),
    ...granted,
  };
}

/** The help line of a command's access: its scope and what that scope needs. */
export function accessHelp(access: CommandAccess): string {
  const needs = access.scopes.flatMap((scope) => SCOPE_GRANTS[scope]?.required ?? []);
  const flags = [...new Set(needs.map((f) => f.flag))];
  const scopes = access.scopes.join(' ');
  return flags.length === 0
    ? `Scope: ${scopes}.`
    : `Scope: ${scopes}. Needs ${flags.join(' and ')}, recorded in the audit trail.`;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

function checkMetadata(f: MetadataField, value: string): void {
  if (value.length > f.maxLength) {
    throw new UsageError(`${f.flag}: at most ${f.maxLength} characters (got ${value.length})`);
  }
  if (CONTROL_CHARACTERS.test(value)) {
    throw new UsageError(`${f.flag}: no control characters (tabs and newlines included)`);
  }
}
