import type { AuditEntry, ListAuditEntriesQuery } from '@stella-orch/client';
import type { Command } from 'commander';
import {
  explainBreak,
  renderAuditEntry,
  renderAuditList,
  renderCheckpoint,
  renderVerification,
} from '../audit-output.js';
import type { CliIo } from '../cli-io.js';
import { commandContext, withAccess } from '../command-context.js';
import type { CommandAccess } from '../credentials.js';
import { IntegrityError } from '../exit-codes.js';
import { integerIn, pointInTime } from '../option-parsers.js';
import { registerAuditExport } from './audit-export.js';

const read = (action: string): CommandAccess => ({ action: `audit ${action}`, scopes: ['orch:read'] });
const CHECKPOINT: CommandAccess = { action: 'audit checkpoint', scopes: ['orch:admin'] };

interface ListOptions {
  actor?: string;
  client?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  since?: string;
  until?: string;
  pageSize?: number;
  all?: boolean;
}

/** Registers `audit list|show|verify|checkpoint|export`: the tenant's hash-chained audit trail. */
export function registerAuditCommands(program: Command, io: CliIo): void {
  const audit = program.command('audit').description("read, verify and export the tenant's audit trail");

  withAccess(audit.command('list'), read('list'))
    .description('list audit entries, newest first')
    .option('--actor <subject>', "only this actor (the token's subject)")
    .option('--client <clientId>', 'only entries made with this client')
    .option('--action <action>', 'only this action, such as job.cancel')
    .option('--resource-type <type>', 'only this resource type, such as job')
    .option('--resource-id <id>', 'only this resource')
    .option(
      '--since <time>',
      'only after this time: ISO-8601, or a duration ago (30m, 12h, 7d)',
      pointInTime(),
    )
    .option('--until <time>', 'only before this time: ISO-8601, or a duration ago', pointInTime())
    .option('--page-size <n>', 'entries per page, 1 to 500 (default 50)', integerIn(1, 500))
    .option('--all', 'follow every page instead of showing the first')
    .addHelpText(
      'after',
      '\nHere the global --ticket <ticket> filters: only entries whose ticket (or request ticket) it is. ' +
        'STELLA_ORCH_OPERATOR_TICKET is not used as a filter.',
    )
    .action(async (options: ListOptions, command: Command) => {
      const { client, out } = commandContext(command, io, read('list'));
      // The global --ticket, as typed on this command line (never the environment's operator ticket).
      const ticket = command.optsWithGlobals<{ ticket?: string }>().ticket;
      const query: ListAuditEntriesQuery = {
        ...defined('actor', options.actor),
        ...defined('clientId', options.client),
        ...defined('action', options.action),
        ...defined('resourceType', options.resourceType),
        ...defined('resourceId', options.resourceId),
        ...defined('ticket', ticket === '' ? undefined : ticket),
        ...defined('occurredAfter', options.since),
        ...defined('occurredBefore', options.until),
        ...defined('pageSize', options.pageSize),
      };
      if (options.all === true) {
        const items: AuditEntry[] = [];
        for await (const page of client.listAllAuditEntries(query)) items.push(...page.items);
        out.result({ items, next_page_token: null }, (v) => renderAuditList(v.items));
        return;
      }
      const page = await client.listAuditEntries(query);
      out.result(page, (v) => renderAuditList(v.items));
      if (!out.json && page.next_page_token !== null) {
        out.note('More entries match: add --all to list them all.');
      }
    });

  withAccess(audit.command('show'), read('show'))
    .description('show one audit entry, hashes included')
    .argument('<auditId>', 'the audit entry id')
    .action(async (auditId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('show'));
      out.result(await client.getAuditEntry(auditId), renderAuditEntry);
    });

  withAccess(audit.command('verify'), read('verify'))
    .description(
      "recompute the tenant's whole hash chain on the server; exits 7 with the broken sequence and " +
        'the reason when it does not verify',
    )
    .action(async (_options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('verify'));
      const verification = await client.verifyAudit();
      out.result(verification, renderVerification);
      if (!verification.ok) {
        throw new IntegrityError(
          'AUDIT_CHAIN_BROKEN',
          `the audit trail is broken at sequence ${verification.brokenAt}: ${verification.reason} ` +
            `(${explainBreak(verification.reason)})`,
        );
      }
    });

  withAccess(audit.command('checkpoint'), CHECKPOINT)
    .description(
      "sign a checkpoint of the chain's current head and print it (keep a copy elsewhere: it shows " +
        'later whether entries were cut from the end)',
    )
    .action(async (_options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, CHECKPOINT);
      out.result(await client.createAuditCheckpoint(), renderCheckpoint);
    });

  registerAuditExport(audit, io);
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
