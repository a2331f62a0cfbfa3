import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'packages/cli/dist/bin.js');
const WORKER = join(ROOT, 'test/e2e/fixtures/worker-process.mjs');

/** The client every end-to-end server declares: every scope, every tenant (a development secret). */
export const E2E_CLIENT = { clientId: 'e2e', clientSecret: 'e2e-secret-for-tests-only-0123' } as const;

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolvePort(port);
      });
    });
  });
}

/** A real orchestrator process started through the CLI. */
export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `stella-orch serve` on a fresh PGlite directory (or `databaseUrl`) and waits until it is ready. */
export async function startServerProcess(
  options: { readonly databaseUrl?: string; readonly config?: Record<string, unknown> } = {},
): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'stella-e2e-'));
  const port = await freePort();
  const configPath = join(dir, 'config.json');
  const authority = {
    bootstrapClients: false,
    clients: [
      {
        ...E2E_CLIENT,
        scopes: ['orch:read', 'orch:submit', 'orch:worker', 'orch:operate', 'orch:admin'],
        tenants: ['*'],
      },
    ],
  };
  writeFileSync(
    configPath,
    JSON.stringify({ reaperIntervalMs: 200, logLevel: 'warn', authority, ...options.config }),
  );
  const args = [
    CLI,
    'serve',
    '--config',
    configPath,
    '--port',
    String(port),
    '--data-dir',
    join(dir, 'data'),
  ];
  if (options.databaseUrl !== undefined) args.push('--database-url', options.databaseUrl);
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, HOST: '127.0.0.1' },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('server did not become ready in 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One line a worker process printed. */
export interface WorkerEvent {
  readonly event: string;
  readonly jobId?: string;
  readonly attempt?: number;
  readonly leaseId?: string;
  readonly fencingToken?: number;
}

/** A worker process running the SDK. */
export interface WorkerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly events: WorkerEvent[];
  stop(): Promise<void>;
}

/** Starts a worker process and waits for it to say it is ready. */
export async function startWorkerProcess(
  url: string,
  tenant: string,
  name: string,
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [WORKER], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      ORCH_URL: url,
      ORCH_TENANT: tenant,
      ORCH_CLIENT_ID: E2E_CLIENT.clientId,
      ORCH_CLIENT_SECRET: E2E_CLIENT.clientSecret,
      WORKER_NAME: name,
      ...env,
    },
  });
  const events: WorkerEvent[] = [];
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolveReady, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`worker ${name} exited with ${String(code)}`));
    });
    lines.on('line', (line) => {
      const event = JSON.parse(line) as WorkerEvent;
      events.push(event);
      if (event.event === 'ready') resolveReady();
    });
  });
  return {
    name,
    child,
    events,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
