/**
 * @stella-orch/cli — the `stella-orch` command: `serve`, `migrate`, `jobs …`, `clients …`, `audit …` and
 * `demo`. `runCli` is the testable entry point; `bin.ts` only wires it to the process.
 */
export { processIo, type CliIo } from './cli-io.js';
export { DEMO_JOB_TYPES, demoHandler, demoSubmissions } from './commands/demo.js';
export {
  AUDIT_BREAK_EXPLANATIONS,
  explainBreak,
  renderAuditEntry,
  renderAuditList,
  renderCheckpoint,
  renderVerification,
} from './audit-output.js';
export { renderClient, renderClientList, renderClientWithSecret, SECRET_WARNING } from './clients-output.js';
export { commandContext, withAccess, type CommandContext } from './command-context.js';
export { type AuditExportResult } from './commands/audit-export.js';
export {
  accessHelp,
  credentialsFor,
  GRANT_METADATA_FIELDS,
  type ClientLogin,
  type CommandAccess,
  type GrantMetadata,
} from './credentials.js';
export { EXIT_CODES, EXIT_CODES_HELP, exitCodeFor, IntegrityError, UsageError } from './exit-codes.js';
export { clientFor, DEFAULT_URL, globalOptions, type GlobalOptions } from './global-options.js';
export { integerIn, jsonValue, nameList, pointInTime, scopeList, statusList } from './option-parsers.js';
export {
  compactJson,
  formatTime,
  Output,
  renderFields,
  renderHistory,
  renderJob,
  renderJobList,
  renderSummary,
  renderTable,
} from './output.js';
export { buildProgram, CLI_VERSION } from './program.js';
export { runCli } from './run-cli.js';
