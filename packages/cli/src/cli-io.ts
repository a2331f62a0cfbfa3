/** Everything the CLI touches outside itself, so that `runCli` can be driven by tests. */
export interface CliIo {
  /** Writes to standard output (text as given, newlines included). */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** The environment (`STELLA_ORCH_URL`, `STELLA_ORCH_TENANT`, the server's configuration variables…). */
  readonly env: NodeJS.ProcessEnv;
  /** The directory relative paths are resolved against. */
  readonly cwd: string;
  /** Resolves with the signal's name when the process is asked to stop (SIGINT, SIGTERM). */
  waitForShutdown(): Promise<string>;
  /** All of standard input, as text (for secrets that should not be on the command line). */
  readStdin?(): Promise<string>;
}

/** The exit status conventionally used after a second interrupt. */
const FORCED_EXIT_CODE = 130;

/** The real process: its streams, environment, working directory and termination signals. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    waitForShutdown: () =>
      new Promise((resolve) => {
        const onSignal = (signal: NodeJS.Signals): void => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          // A second signal while shutting down means "now".
          process.once('SIGINT', () => process.exit(FORCED_EXIT_CODE));
          process.once('SIGTERM', () => process.exit(FORCED_EXIT_CODE));
          resolve(signal);
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      }),
  };
}
