import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NonRetryableError,
  RetryableError,
  Worker,
  type Job,
  type JobContext,
  type JobSummary,
  type OrchestratorClient,
  type WorkerStats,
} from '@stella-orch/client';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import type { ClientLogin, CommandAccess } from '../credentials.js';
import { clientFor, globalOptions, type GlobalOptions } from '../global-options.js';
import { integerIn } from '../option-parsers.js';
import { Output, renderSummary, renderTable } from '../output.js';

/** The job types the demo submits and processes. */
export const DEMO_JOB_TYPES = ['demo.advisory-ingest', 'demo.vex-ingest', 'demo.rescan'] as const;

/** What a demo job carries (a type alias, not an interface, so that it is assignable to JsonValue). */
type DemoPayload = {
  readonly seq: number;
  /** Fails its first attempt with a retryable error, to show a retry. */
  readonly failOnce: boolean;
  /** Fails for good, to show a dead-letter. */
  readonly failHard: boolean;
};

/** The demo's sample jobs: every fourth fails once, and with ten or more, the last fails for good. */
export function demoSubmissions(
  count: number,
  runId: string,
): { jobType: string; runId: string; payload: DemoPayload }[] {
  return Array.from({ length: count }, (_, seq) => ({
    jobType: DEMO_JOB_TYPES[seq % DEMO_JOB_TYPES.length] ?? DEMO_JOB_TYPES[0],
    runId,
    payload: { seq, failOnce: seq % 4 === 1, failHard: count >= 10 && seq === count - 1 },
  }));
}

/** The demo worker's handler: some simulated work, progress, and the scripted failures. */
export async function demoHandler(job: Job, ctx: JobContext): Promise<{ seq: number; items: number }> {
  const payload = job.payload as unknown as DemoPayload;
  await pause(40 + Math.random() * 120, ctx.signal);
  await ctx.progress({ percent: 50 });
  await pause(40 + Math.random() * 120, ctx.signal);
  if (payload.failHard) throw new NonRetryableError('the advisory document is malformed');
  if (payload.failOnce && ctx.attempt === 1) {
    throw new RetryableError('the upstream feed timed out', { retryAfterMs: 250 });
  }
  return { seq: payload.seq, items: Math.floor(Math.random() * 100) };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new Error(`aborted: ${String(signal.reason)}`));
      },
      { once: true },
    );
  });
}

const ACTIVE_STATUSES = ['waiting', 'pending', 'leased', 'running'] as const;

/** The producer side of the demo: a run, its jobs, and the summary it polls. */
const PRODUCER: CommandAccess = { action: 'demo', scopes: ['orch:read', 'orch:submit'] };
/** The demo's SDK worker. */
const WORKER: CommandAccess = { action: 'demo', scopes: ['orch:worker'] };

/** The tenant of the in-process server's demo client when `--tenant` names none. */
const DEMO_TENANT = 'default';

/** Registers `demo`. */
export function registerDemoCommand(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description(
      'run a producer and an SDK worker against an in-process orchestrator on a temporary PGlite ledger ' +
        '(or the server named by --url, with your client credentials), printing each transition and a summary',
    )
    .option('--jobs <n>', 'how many sample jobs to submit, 1 to 1000', integerIn(1, 1000), 20)
    .action(async (options: { jobs: number }, command: Command) => {
      const globals = globalOptions(command, io);
      if (globals.urlGiven) {
        await runDemo(io, globals, globals.url, options.jobs);
        return;
      }
      const server = await startLocalServer(globals.tenant ?? DEMO_TENANT);
      try {
        const local = { ...globals, url: server.url, login: server.login };
        await runDemo(io, local, 'in-process', options.jobs);
      } finally {
        await server.close();
      }
    });
}

/**
 * Starts an orchestrator on a temporary PGlite ledger, configured with one client for the demo's own
 * calls (`stella-orch-demo`, a fresh secret per run, the scopes the producer and the worker need, in
 * `tenant` only) and without the first-start bootstrap clients.
 */
async function startLocalServer(
  tenant: string,
): Promise<{ url: string; login: ClientLogin; close(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stella-orch-demo-'));
  const { loadConfig, startOrchestrator } = await import('@stella-orch/server');
  // A clean environment: the demo must not pick up the operator's server configuration.
  const env = { HOST: '127.0.0.1', PORT: '0', STELLA_ORCH_DATA_DIR: dataDir, LOG_LEVEL: 'error' };
  const config = loadConfig({ env });
  const login = { clientId: 'stella-orch-demo', clientSecret: randomBytes(24).toString('base64url') };
  const running = await startOrchestrator({
    ...config,
    authority: {
      ...config.authority,
      bootstrapClients: false,
      clients: [
        {
          clientId: login.clientId,
          displayName: 'stella-orch demo',
          clientSecret: login.clientSecret,
          clientSecretHash: null,
          scopes: [...PRODUCER.scopes, ...WORKER.scopes],
          tenants: [tenant],
        },
      ],
    },
  });
  return {
    url: running.url,
    login,
    close: async () => {
      await running.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs the demo against the server of `globals`, with its credentials: the producer asks for
 * `orch:read orch:submit`, the worker for `orch:worker`.
 */
async function runDemo(io: CliIo, globals: GlobalOptions, where: string, count: number): Promise<void> {
  const out = new Output(io, globals.json);
  const client = clientFor(globals, PRODUCER);
  const workerClient = clientFor(globals, WORKER);
  const startedAt = Date.now();
  const say = (text: string): void => {
    if (!out.json) out.line(`[${((Date.now() - startedAt) / 1000).toFixed(2).padStart(6)}s] ${text}`);
  };
  const run = await client.createRun({ name: `demo ${new Date().toISOString()}` });
  say(`orchestrator ${where}; run ${run.runId}`);

  const worker = new Worker({
    client: workerClient,
    jobTypes: DEMO_JOB_TYPES,
    handler: demoHandler,
    concurrency: 4,
    pollWaitMs: 1_000,
  });
  const label = (job: Job): string => `${job.jobId.slice(0, 8)} ${job.jobType.padEnd(20)}`;
  worker.on('leased', (g) => {
    say(`${label(g.job)} leased      attempt ${g.job.attempt}`);
  });
  worker.on('completed', (e) => {
    const why = e.error === undefined ? '' : ` (${e.error.type}: ${e.error.message})`;
    say(`${label(e.grant.job)} ${e.outcome.padEnd(11)} → ${e.disposition}${why}`);
  });
  const working = worker.start();
  let outcome: JobSummary | string;
  try {
    const { jobs } = await client.submitJobs(demoSubmissions(count, run.runId));
    for (const job of jobs) say(`${label(job)} submitted`);
    // The worker's start() only settles early if it failed; then that failure ends the demo.
    const failed = working.then(() => new Promise<never>(() => undefined));
    outcome = await Promise.race([waitUntilSettled(client, run.runId, count), io.waitForShutdown(), failed]);
  } finally {
    await worker.stop({ timeoutMs: 5_000 });
  }
  await working;
  if (typeof outcome === 'string') {
    out.note(`${outcome}: demo interrupted`);
    return;
  }
  report(out, run.runId, outcome, worker.stats, Date.now() - startedAt);
}

/** Polls the run's summary until none of its jobs is waiting, pending, leased or running. */
async function waitUntilSettled(
  client: OrchestratorClient,
  runId: string,
  count: number,
): Promise<JobSummary> {
  const deadline = Date.now() + Math.max(60_000, count * 500);
  for (;;) {
    const summary = await client.getJobsSummary({ runId });
    const active = ACTIVE_STATUSES.reduce((sum, s) => sum + (summary.byStatus[s] ?? 0), 0);
    if (summary.total >= count && active === 0) return summary;
    if (Date.now() > deadline)
      throw new Error(`the demo jobs did not finish in time (${active} still active)`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function report(
  out: Output,
  runId: string,
  summary: JobSummary,
  stats: WorkerStats,
  elapsedMs: number,
): void {
  if (out.json) {
    out.printJson({ runId, summary, worker: stats, elapsedMs });
    return;
  }
  out.line('');
  out.line(`Run ${runId}: ${summary.total} jobs in ${(elapsedMs / 1000).toFixed(1)}s`);
  out.line(renderSummary(summary));
  out.line(
    renderTable(
      ['WORKER', 'LEASES', 'SUCCEEDED', 'FAILED ATTEMPTS', 'CANCELED', 'LOST LEASES'],
      [['demo', stats.leased, stats.succeeded, stats.failed, stats.canceled, stats.lostLeases].map(String)],
    ),
  );
}
