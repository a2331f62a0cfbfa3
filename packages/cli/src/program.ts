import { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerClientsCommands } from './commands/clients.js';
import { registerDeadLetterCommands } from './commands/deadletter.js';
import { registerSloCommands } from './commands/slos.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerJobsCommands } from './commands/jobs.js';
import { registerServeCommands } from './commands/serve.js';
import { registerSourcesCommands } from './commands/sources.js';
import { registerBackfillCommands } from './commands/backfills.js';
import { registerQuotaCommands } from './commands/quotas.js';
import { registerThrottleCommands } from './commands/throttles.js';
import { registerCircuitCommands } from './commands/circuits.js';
import { registerEventsCommands } from './commands/events.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { DEFAULT_URL } from './global-options.js';

/** How commands authenticate, as the top-level `--help` explains it. */
const AUTHENTICATION_HELP = `Authentication:
  Commands that call the API (all but serve and migrate) get a token with the
  client credentials grant: --client-id (or STELLA_ORCH_CLIENT_ID) and the secret
  in STELLA_ORCH_CLIENT_SECRET. Each asks for just the scope it needs (its --help
  says which). Operator and admin actions (jobs cancel, retry and replay,
  clients …, audit checkpoint) also need --reason and --ticket (or
  STELLA_ORCH_OPERATOR_REASON / STELLA_ORCH_OPERATOR_TICKET), which the audit
  trail records. Quota changes need --quota-reason (--quota-ticket optional),
  backfill changes --backfill-reason and --backfill-ticket.`;

/** The CLI's version. */
export const CLI_VERSION = '0.1.0';

/**
 * Builds the `stella-orch` command tree writing to `io`. Commander's own exits are turned into thrown
 * `CommanderError`s (see `runCli`).
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('stella-orch')
    .description(
      'Operate the Stella Orchestrator: run it; submit, explain and operate jobs; manage sources, ' +
        'quotas, throttles, circuit breakers, backfills, dead letters, SLOs and clients; read and verify ' +
        'the audit trail; or watch a demo.',
    )
    .version(CLI_VERSION)
    .option('--url <url>', `orchestrator base URL (env STELLA_ORCH_URL; default ${DEFAULT_URL})`)
    .option('--tenant <tenant>', 'tenant to act in, the one tokens are asked for (env STELLA_ORCH_TENANT)')
    .option('--json', 'print machine-readable JSON instead of tables')
    .option('--client-id <id>', 'OAuth client id (env STELLA_ORCH_CLIENT_ID)')
    .option(
      '--client-secret <secret>',
      'client secret; prefer env STELLA_ORCH_CLIENT_SECRET, as a flag shows in ps and shell history',
    )
    .option(
      '--reason <reason>',
      'why, for operator and admin actions; up to 256 characters (env STELLA_ORCH_OPERATOR_REASON)',
    )
    .option(
      '--ticket <ticket>',
      'change ticket, for operator and admin actions; up to 128 characters (env ' +
        'STELLA_ORCH_OPERATOR_TICKET); on `audit list`, a filter',
    )
    .option('--quota-reason <reason>', 'why, for quota actions (env STELLA_ORCH_QUOTA_REASON)')
    .option('--quota-ticket <ticket>', 'ticket, for quota actions (env STELLA_ORCH_QUOTA_TICKET)')
    .option('--backfill-reason <reason>', 'why, for backfill actions (env STELLA_ORCH_BACKFILL_REASON)')
    .option('--backfill-ticket <ticket>', 'ticket, for backfill actions (env STELLA_ORCH_BACKFILL_TICKET)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => {
        io.stdout(text);
      },
      writeErr: (text) => {
        io.stderr(text);
      },
    })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `\n${AUTHENTICATION_HELP}`)
    .addHelpText('afterAll', `\n${EXIT_CODES_HELP}\n`);
  registerServeCommands(program, io);
  registerJobsCommands(program, io);
  registerDeadLetterCommands(program, io);
  registerClientsCommands(program, io);
  registerSourcesCommands(program, io);
  registerQuotaCommands(program, io);
  registerThrottleCommands(program, io);
  registerCircuitCommands(program, io);
  registerBackfillCommands(program, io);
  registerAuditCommands(program, io);
  registerSloCommands(program, io);
  registerEventsCommands(program, io);
  registerDemoCommand(program, io);
  return program;
}
