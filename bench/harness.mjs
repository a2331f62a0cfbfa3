// What every scenario does around its measurement: a fresh ledger (database or data directory), a fresh
// server process, a fresh tenant and client; afterwards the server's peak memory, then clean-up.
import { OrchestratorClient } from '@stella-orch/client';
import { createEngine } from './engines.mjs';
import { startServer } from './server-process.mjs';
import { BENCH_CLIENT, forEachConcurrent, log, nowMs, randomSuffix } from './util.mjs';

/** The job type every benchmark job has. */
export const JOB_TYPE = 'bench.noop';

/**
 * What run.mjs hands every scenario.
 * @typedef {object} ScenarioContext
 * @property {import('./engines.mjs').EngineName} engine
 * @property {boolean} quick
 * @property {string} adminUrl - PostgreSQL URL allowed to create and drop databases
 * @property {string} logLevel - the server's log level
 * @property {string | undefined} cpuProfDir - profile the server into this directory
 * @property {number} pgliteBacklog - largest backlog queued on PGlite
 * @property {Record<string, unknown>} tuning - worker settings given on the command line
 */

/**
 * One scenario's result on one engine.
 * @typedef {object} ScenarioResult
 * @property {string} scenario
 * @property {string} engine
 * @property {{ label: string, value: number | string, unit?: string }[]} figures - shown in the table
 * @property {Record<string, unknown>} details - everything else, kept in the JSON
 * @property {Record<string, unknown>} settings
 * @property {number | null} serverPeakRssMiB
 * @property {number | null} serverCpuSeconds
 * @property {number} wallSeconds
 */

/**
 * Runs `body` against a fresh ledger, server process and tenant; always cleans up.
 * @template T
 * @param {ScenarioContext} ctx
 * @param {string} scenario
 * @param {(env: { url: string, tenant: string, client: OrchestratorClient, server: import('./server-process.mjs').ServerProcess, engine: import('./engines.mjs').EngineInstance }) => Promise<T>} body
 * @param {{ config?: Record<string, unknown>, beforeStart?: (env: { tenant: string, engine: import('./engines.mjs').EngineInstance }) => Promise<void> }} [options]
 *   - `config`: extra configuration keys of the server; `beforeStart`: untimed set-up that writes to the
 *   fresh ledger before the server process starts (the only time the benchmark process can open a PGlite
 *   data directory, which the server then holds); the server applies no migration it finds applied
 * @returns {Promise<{ value: T, serverPeakRssMiB: number | null, serverCpuSeconds: number | null }>}
 */
export async function withServer(ctx, scenario, body, options = {}) {
  const engine = await createEngine(ctx.engine, scenario, ctx.adminUrl);
  try {
    const tenant = `bench-${scenario}-${randomSuffix()}`;
    if (options.beforeStart !== undefined) await options.beforeStart({ tenant, engine });
    const server = await startServer({
      engine,
      logLevel: ctx.logLevel,
      ...(options.config === undefined ? {} : { config: options.config }),
      ...(ctx.cpuProfDir === undefined ? {} : { cpuProfDir: ctx.cpuProfDir }),
    });
    let stopped;
    try {
      const client = new OrchestratorClient({
        baseUrl: server.url,
        tenant,
        timeoutMs: 120_000,
        credentials: { ...BENCH_CLIENT, scopes: ['orch:read', 'orch:submit', 'orch:worker'] },
      });
      const value = await body({ url: server.url, tenant, client, server, engine });
      stopped = await server.stop();
      return { value, serverPeakRssMiB: stopped.peakRssMiB, serverCpuSeconds: stopped.cpuSeconds };
    } finally {
      if (stopped === undefined) await server.stop({ keepLog: true });
    }
  } finally {
    await engine.dispose();
  }
}

/**
 * Queues `count` no-op jobs through `POST /jobs/batch` (untimed set-up), `concurrency` calls at once.
 * @param {OrchestratorClient} client
 * @param {number} count
 * @param {{ concurrency?: number, batchSize?: number, label?: string }} [options]
 * @returns {Promise<{ count: number, ms: number }>}
 */
export async function prequeue(client, count, options = {}) {
  const batchSize = options.batchSize ?? 1_000;
  const batches = Math.ceil(count / batchSize);
  const started = nowMs();
  let done = 0;
  let lastLog = started;
  await forEachConcurrent(batches, options.concurrency ?? 4, async (b) => {
    const size = Math.min(batchSize, count - b * batchSize);
    const jobs = Array.from({ length: size }, (_, i) => ({
      jobType: JOB_TYPE,
      payload: { i: b * batchSize + i },
    }));
    const answer = await client.submitJobs(jobs);
    if (answer.created !== size) throw new Error(`a batch created ${answer.created} of ${size} jobs`);
    done += size;
    if (nowMs() - lastLog > 10_000) {
      lastLog = nowMs();
      log(
        `  ${options.label ?? 'queued'} ${done.toLocaleString('en-US')} / ${count.toLocaleString('en-US')}`,
      );
    }
  });
  return { count, ms: nowMs() - started };
}

/**
 * The tenant's job counts by status.
 * @param {OrchestratorClient} client
 * @returns {Promise<Record<string, number>>}
 */
export async function statusCounts(client) {
  const summary = await client.getJobsSummary();
  return Object.fromEntries(Object.entries(summary.byStatus).filter(([, n]) => n !== 0));
}
