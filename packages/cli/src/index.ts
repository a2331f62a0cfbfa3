/**
 * @stella-orch/cli — the `stella-orch` command: `serve`, `migrate`, `jobs …` and `demo`. `runCli` is the
 * testable entry point; `bin.ts` only wires it to the process.
 */
export { processIo, type CliIo } from './cli-io.js';
export { DEMO_JOB_TYPES, demoHandler, demoSubmissions } from './commands/demo.js';
export { EXIT_CODES, EXIT_CODES_HELP, exitCodeFor, UsageError } from './exit-codes.js';
export { clientFor, DEFAULT_URL, globalOptions, type GlobalOptions } from './global-options.js';
export { integerIn, jsonValue, statusList } from './option-parsers.js';
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
