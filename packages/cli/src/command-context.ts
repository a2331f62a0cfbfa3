import type { OrchestratorClient } from '@stella-orch/client';
import type { Command } from 'commander';
import type { CliIo } from './cli-io.js';
import { accessHelp, type CommandAccess } from './credentials.js';
import { clientFor, globalOptions, type GlobalOptions } from './global-options.js';
import { Output } from './output.js';

/** What a command talking to the API needs: a client authenticated for it, an output, the global options. */
export interface CommandContext {
  readonly client: OrchestratorClient;
  readonly out: Output;
  readonly globals: GlobalOptions;
}

/**
 * The context of `command`, with a client whose token carries exactly `access.scopes`.
 * @throws UsageError for missing credentials, or a missing reason or ticket (nothing is sent then)
 */
export function commandContext(command: Command, io: CliIo, access: CommandAccess): CommandContext {
  const globals = globalOptions(command, io);
  return { client: clientFor(globals, access), out: new Output(io, globals.json), globals };
}

/** Adds the scope `access` asks for, and what it needs, to the command's help. */
export function withAccess(command: Command, access: CommandAccess): Command {
  return command.addHelpText('after', `\n${accessHelp(access)}`);
}
