import type { AuditBreakReason, AuditCheckpoint, AuditEntry, AuditVerification } from '@stella-orch/client';
import { compactJson, formatTime, renderFields, renderTable } from './output.js';

/** What each break reason of `audit verify` means. */
export const AUDIT_BREAK_EXPLANATIONS: Readonly<Record<AuditBreakReason, string>> = {
  hash_mismatch: "an entry's fields do not give its hash: the entry was changed",
  prev_hash_mismatch:
    'an entry does not name the hash of the one before: an entry was removed, reordered or re-hashed',
  sequence_gap: 'a sequence number is missing',
  head_mismatch: "the chain does not end where the ledger's head says",
  truncated: 'entries are missing from the end of the chain',
  checkpoint_mismatch: 'the chain disagrees with its latest signed checkpoint',
  bad_checkpoint_signature: "the latest checkpoint's signature does not verify",
};

/** The meaning of a break reason (the reason itself if it is a new one). */
export function explainBreak(reason: string): string {
  return (AUDIT_BREAK_EXPLANATIONS as Readonly<Record<string, string>>)[reason] ?? reason;
}

/** Audit entries: sequence, time, actor, action, resource, ticket, id. */
export function renderAuditList(entries: readonly AuditEntry[]): string {
  if (entries.length === 0) return 'No audit entries.';
  return renderTable(
    ['#', 'AT', 'ACTOR', 'ACTION', 'RESOURCE', 'TICKET', 'AUDIT ID'],
    entries.map((e) => [
      String(e.sequence),
      formatTime(e.occurredAt),
      e.actor.subject,
      e.action,
      `${e.resourceType} ${e.resourceId}`,
      e.ticket ?? e.requestTicket ?? '-',
      e.auditId,
    ]),
  );
}

/** One audit entry, field by field, hashes included. */
export function renderAuditEntry(entry: AuditEntry): string {
  const fields: [string, string][] = [
    ['Audit ID', entry.auditId],
    ['Tenant', entry.tenantId],
    ['Sequence', String(entry.sequence)],
    ['At', formatTime(entry.occurredAt)],
    ['Actor', entry.actor.subject],
  ];
  if (entry.actor.clientId !== null) fields.push(['Client', entry.actor.clientId]);
  if (entry.actor.scopes.length > 0) fields.push(['Scopes', entry.actor.scopes.join(' ')]);
  fields.push(['Action', entry.action], ['Resource', `${entry.resourceType} ${entry.resourceId}`]);
  const optional: [string, string | undefined][] = [
    ['Reason', entry.reason],
    ['Ticket', entry.ticket],
    ['Request reason', entry.requestReason],
    ['Request ticket', entry.requestTicket],
  ];
  for (const [label, value] of optional) if (value !== undefined) fields.push([label, value]);
  if (entry.before !== undefined) fields.push(['Before', compactJson(entry.before)]);
  if (entry.after !== undefined) fields.push(['After', compactJson(entry.after)]);
  fields.push(
    ['Correlation ID', entry.correlationId],
    ['Previous hash', entry.prevHash],
    ['Hash', entry.hash],
  );
  return renderFields(fields);
}

/** The outcome of `audit verify`. */
export function renderVerification(verification: AuditVerification): string {
  if (!verification.ok) {
    return renderFields([
      ['Status', 'BROKEN'],
      ['Broken at', `sequence ${verification.brokenAt}`],
      ['Reason', `${verification.reason}: ${explainBreak(verification.reason)}`],
    ]);
  }
  const fields: [string, string][] = [
    ['Status', 'ok'],
    ['Entries checked', String(verification.checked)],
    ['Last sequence', String(verification.lastSequence)],
    ['Head hash', verification.headHash],
  ];
  const { checkpoint } = verification;
  fields.push([
    'Checkpoint',
    checkpoint === undefined
      ? 'none'
      : `sequence ${checkpoint.sequence}, signed ${formatTime(checkpoint.signedAt)} by key ${checkpoint.keyId}`,
  ]);
  return renderFields(fields);
}

/** A signed checkpoint, field by field. */
export function renderCheckpoint(checkpoint: AuditCheckpoint): string {
  return renderFields([
    ['Tenant', checkpoint.tenantId],
    ['Sequence', String(checkpoint.sequence)],
    ['Head hash', checkpoint.headHash],
    ['Signed', formatTime(checkpoint.signedAt)],
    ['Key ID', checkpoint.keyId],
    ['Signature', checkpoint.signature],
  ]);
}
