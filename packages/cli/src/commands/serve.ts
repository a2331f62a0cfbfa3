import { resolve } from 'node:path';
import type { OrchestratorConfig } from '@stella-orch/server';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { globalOptions } from '../global-options.js';
import { integerIn } from '../option-parsers.js';
import { Output } from '../output.js';

/** The ledger options `serve` and `migrate` share. */
interface LedgerOptions {
  config?: string;
  databaseUrl?: string;
  dataDir?: string;
}

function addLedgerOptions(command: Command): Command {
  return command
    .option('--config <file>', 'JSON configuration file (env STELLA_ORCH_CONFIG)')
    .option(
      '--database-url <url>',
      'PostgreSQL URL (env DATABASE_URL); without it, the embedded PGlite ledger',
    )
    .option(
      '--data-dir <dir>',
      'PGlite data directory (env STELLA_ORCH_DATA_DIR; default ./.stella-orch/data)',
    );
}

/**
 * The configuration: defaults, then the file, then the environment, then the flags. Flags are applied as
 * the environment variables they stand for, so the server's one validation covers them.
 * @throws ConfigError naming the bad key
 */
async function configFrom(
  io: CliIo,
  options: LedgerOptions & { port?: number },
): Promise<OrchestratorConfig> {
  const { loadConfig } = await import('@stella-orch/server');
  const env: NodeJS.ProcessEnv = { ...io.env };
  if (options.port !== undefined) env['PORT'] = String(options.port);
  if (options.databaseUrl !== undefined) env['DATABASE_URL'] = options.databaseUrl;
  if (options.dataDir !== undefined) env['STELLA_ORCH_DATA_DIR'] = options.dataDir;
  const configPath = options.config === undefined ? undefined : resolve(io.cwd, options.config);
  const config = loadConfig({ ...(configPath === undefined ? {} : { configPath }), env });
  // A relative data directory means relative to where the command was run.
  const dataDir = resolve(io.cwd, config.dataDir);
  return { ...config, dataDir };
}

function describeLedger(config: OrchestratorConfig): string {
  if (config.databaseUrl === null) return `PGlite in ${config.dataDir}`;
  const url = new URL(config.databaseUrl);
  return `PostgreSQL at ${url.host}${url.pathname}`;
}

/** Registers `serve` and `migrate`. */
export function registerServeCommands(program: Command, io: CliIo): void {
  addLedgerOptions(
    program
      .command('serve')
      .description('run the orchestrator (HTTP API, lease reaper) until SIGINT or SIGTERM')
      .option('--port <n>', 'port to listen on (env PORT; default 8080)', integerIn(0, 65_535)),
  ).action(async (options: LedgerOptions & { port?: number }, command: Command) => {
    const out = new Output(io, globalOptions(command, io).json);
    const config = await configFrom(io, options);
    const { startOrchestrator } = await import('@stella-orch/server');
    const running = await startOrchestrator(config);
    if (out.json) out.printJson({ url: running.url, ledger: describeLedger(config) });
    else out.line(`Stella Orchestrator listening on ${running.url} (ledger: ${describeLedger(config)})`);
    const signal = await io.waitForShutdown();
    out.note(`${signal}: shutting down (again to force)`);
    await running.close();
    out.note('stopped');
  });

  addLedgerOptions(
    program.command('migrate').description('bring the ledger schema up to date, then exit'),
  ).action(async (options: LedgerOptions, command: Command) => {
    const out = new Output(io, globalOptions(command, io).json);
    const config = await configFrom(io, options);
    const { openLedger, migrate } = await import('@stella-orch/store-postgres');
    const ledger = await openLedger({
      ...(config.databaseUrl === null ? { dataDir: config.dataDir } : { databaseUrl: config.databaseUrl }),
      migrate: false,
    });
    try {
      const report = await migrate(ledger.driver);
      const applied =
        report.applied.length === 0 ? 'nothing to apply' : `applied ${report.applied.join(', ')}`;
      out.result(
        report,
        () => `Ledger (${describeLedger(config)}) at schema version ${report.version}: ${applied}`,
      );
    } finally {
      // Closing the store closes its driver too.
      await ledger.store.close();
    }
  });
}
