import { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerJobsCommands } from './commands/jobs.js';
import { registerServeCommands } from './commands/serve.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { DEFAULT_URL } from './global-options.js';

/** The CLI's version. */
export const CLI_VERSION = '0.1.0';

/**
 * Builds the `stella-orch` command tree writing to `io`. Commander's own exits are turned into thrown
 * `CommanderError`s (see `runCli`).
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('stella-orch')
    .description('Operate the Stella Orchestrator: run it, submit and manage jobs, or watch a demo.')
    .version(CLI_VERSION)
    .option('--url <url>', `orchestrator base URL (env STELLA_ORCH_URL; default ${DEFAULT_URL})`)
    .option('--tenant <tenant>', 'tenant to act in (env STELLA_ORCH_TENANT)')
    .option('--json', 'print machine-readable JSON instead of tables')
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
    .addHelpText('afterAll', `\n${EXIT_CODES_HELP}\n`);
  registerServeCommands(program, io);
  registerJobsCommands(program, io);
  registerDemoCommand(program, io);
  return program;
}
