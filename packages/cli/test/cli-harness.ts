// The CLI against a scripted orchestrator that, like the real one, wants a bearer token: a FakeHttpServer
// with the client package's FakeAuthority in front, and a runner with client credentials in the environment.
import { FAKE_ADMIN_CLIENT, FakeAuthority } from '../../client/test/fake-authority.js';
import { FakeHttpServer, type RecordedRequest } from '../../client/test/fake-http-server.js';
import { runCli } from '../src/run-cli.js';
import { recordingIo } from './test-io.js';

/** The environment of a CLI user with client credentials (the fake's client allowed everything). */
export const CREDENTIALS_ENV: NodeJS.ProcessEnv = {
  STELLA_ORCH_CLIENT_ID: FAKE_ADMIN_CLIENT.clientId,
  STELLA_ORCH_CLIENT_SECRET: FAKE_ADMIN_CLIENT.clientSecret,
};

/** An operator's reason and ticket in the environment. */
export const OPERATOR_ENV: NodeJS.ProcessEnv = {
  STELLA_ORCH_OPERATOR_REASON: 'incident 42',
  STELLA_ORCH_OPERATOR_TICKET: 'OPS-42',
};

/** What one CLI run did. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** A scripted server with a fake Authority, and a runner pointed at it. */
export interface CliHarness {
  readonly server: FakeHttpServer;
  readonly authority: FakeAuthority;
  /** Runs the CLI with `STELLA_ORCH_URL`, the credentials and `env`. */
  run(argv: readonly string[], env?: NodeJS.ProcessEnv, cwd?: string): Promise<CliRun>;
  /** The requests other than token requests. */
  apiRequests(): RecordedRequest[];
  close(): Promise<void>;
}

/** Starts a {@link CliHarness}. */
export async function startCliHarness(): Promise<CliHarness> {
  const server = await FakeHttpServer.start();
  const authority = FakeAuthority.install(server);
  return {
    server,
    authority,
    run: async (argv, env = {}, cwd) => {
      const io = recordingIo({ STELLA_ORCH_URL: server.url, ...CREDENTIALS_ENV, ...env }, cwd);
      const code = await runCli(argv, io);
      return { code, out: io.stdoutText(), err: io.stderrText() };
    },
    apiRequests: () => server.requests.filter((r) => r.path !== '/connect/token'),
    close: () => server.close(),
  };
}
