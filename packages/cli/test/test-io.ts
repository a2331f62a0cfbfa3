import type { CliIo } from '../src/cli-io.js';

/** A {@link CliIo} that records what the CLI writes; `shutdown()` plays a SIGINT. */
export interface RecordingIo extends CliIo {
  readonly stdoutText: () => string;
  readonly stderrText: () => string;
  shutdown(signal?: string): void;
}

/** An io with the given environment, recording output. */
export function recordingIo(env: NodeJS.ProcessEnv = {}, cwd = process.cwd()): RecordingIo {
  let out = '';
  let err = '';
  const waiters: ((signal: string) => void)[] = [];
  return {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    env,
    cwd,
    waitForShutdown: () => new Promise((resolve) => waiters.push(resolve)),
    stdoutText: () => out,
    stderrText: () => err,
    shutdown: (signal = 'SIGINT') => {
      for (const wake of waiters.splice(0)) wake(signal);
    },
  };
}
