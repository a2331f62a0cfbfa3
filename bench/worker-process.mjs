// A worker process of the benchmark: SDK `Worker`s with a no-op handler, reporting on stdout in JSON lines.
//
//   node bench/worker-process.mjs '<json settings>'
//
// Settings: { url, tenant | tenants, jobType, workers, concurrency, batchSize, completionBatchWindowMs,
// pollWaitMs, latency }. A worker token names one tenant, so with `tenants` the process runs `workers` SDK
// Workers per tenant, each with a client of its own. Lines written (one JSON object each):
//   { t: 'ready' }                          the workers are started (their first lease call is on the wire)
//   { t: 'lease', at }                      the first lease answer of this process (ms, shared clock)
//   { t: 'done', n, at }                    n more completions accepted by the server; `at` is the last one
//   { t: 'lat', values, firstStart, lastStart }
//                                           answer to `report`: submit → handler start of every job since
//                                           the previous report, in ms (jobs carry `payload.t`), and the
//                                           first and last handler start
//   { t: 'stopped', stats, httpCallsMs }    after `stop`: the workers' counters and the durations of their
//                                           HTTP calls by endpoint (time to response headers)
// Commands read on stdin, one a line: `report`, `stop`.
import { createInterface } from 'node:readline';
import {
  ClientCredentialsTokenProvider,
  DEFAULT_RETRY_OPTIONS,
  OrchestratorClient,
  Worker,
  defaultTokenUrl,
} from '@stella-orch/client';
import { BENCH_CLIENT, latencySummary, nowMs } from './util.mjs';

/**
 * @typedef {object} WorkerProcessSettings
 * @property {string} url
 * @property {string} [tenant] - the one tenant of this process's workers
 * @property {string[]} [tenants] - instead of `tenant`: several, `workers` Workers for each
 * @property {string} jobType
 * @property {number} [workers] - Worker instances in this process (1)
 * @property {number} concurrency - per Worker
 * @property {number} [batchSize] - per lease call (the SDK default: `concurrency`, at most 100)
 * @property {number} [completionBatchWindowMs]
 * @property {number} [pollWaitMs]
 * @property {boolean} [latency] - record submit → start latencies from `payload.t`
 */

/** @type {WorkerProcessSettings} */
const settings = JSON.parse(process.argv[2] ?? '{}');

/** @param {object} message */
function emit(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** @type {number[]} */
let latencies = [];
/** @type {number[]} */
let starts = [];
let pending = 0;
let lastAt = 0;
let flushQueued = false;
let firstLease = true;

function flushDone() {
  flushQueued = false;
  if (pending === 0) return;
  emit({ t: 'done', n: pending, at: lastAt });
  pending = 0;
}

/** Durations of the HTTP calls the workers made, by endpoint (`POST /leases`, `POST /leases/complete`, …). */
/** @type {Map<string, number[]>} */
const calls = new Map();

/** @type {typeof fetch} */
const timedFetch = async (input, init) => {
  const started = nowMs();
  try {
    return await fetch(input, init);
  } finally {
    const path = new URL(String(input)).pathname
      .replace('/api/v1/orchestrator', '')
      .replace(/\/leases\/[0-9a-f-]{36}\//, '/leases/{id}/');
    const key = `${init?.method ?? 'GET'} ${path}`;
    let list = calls.get(key);
    if (list === undefined) calls.set(key, (list = []));
    list.push(nowMs() - started);
  }
};

/** @type {import('@stella-orch/client').JobHandler} */
const handler = settings.latency
  ? async (job) => {
      const startedAt = nowMs();
      const submittedAt = /** @type {{ t?: unknown }} */ (job.payload)?.t;
      if (typeof submittedAt === 'number') {
        latencies.push(startedAt - submittedAt);
        starts.push(startedAt);
      }
      return undefined;
    }
  : async () => undefined;

const tenants = settings.tenants ?? [/** @type {string} */ (settings.tenant)];

/**
 * The clients of the workers, by tenant. With `tenants`, each tenant's token is fetched here, before any
 * worker starts: otherwise the 50 or so token grants of a process (each an audit entry in the ledger) would
 * run during the measured drain, which starts at the first lease answer of any worker.
 * @returns {Promise<Map<string, OrchestratorClient>>}
 */
async function clientsByTenant() {
  const credentials = { ...BENCH_CLIENT, scopes: /** @type {const} */ (['orch:worker']) };
  if (settings.tenants === undefined) {
    const client = new OrchestratorClient({
      baseUrl: settings.url,
      tenant: /** @type {string} */ (settings.tenant),
      fetch: timedFetch,
      credentials,
    });
    return new Map([[/** @type {string} */ (settings.tenant), client]]);
  }
  return new Map(
    await Promise.all(
      tenants.map(async (tenant) => {
        const provider = new ClientCredentialsTokenProvider({
          credentials,
          tokenUrl: defaultTokenUrl(settings.url),
          tenant,
          fetch,
          retry: DEFAULT_RETRY_OPTIONS,
          timeoutMs: 30_000,
        });
        await provider.getToken();
        const client = new OrchestratorClient({
          baseUrl: settings.url,
          tenant,
          fetch: timedFetch,
          accessToken: () => provider.getToken(),
        });
        return /** @type {const} */ ([tenant, client]);
      }),
    ),
  );
}

const clients = await clientsByTenant();
const workers = tenants.flatMap((tenant, t) =>
  Array.from({ length: settings.workers ?? 1 }, (_, i) => startWorker(tenant, `${t}-${i}`)),
);

/**
 * @param {string} tenant
 * @param {string} id - unique in this process
 * @returns {Worker}
 */
function startWorker(tenant, id) {
  const worker = new Worker({
    client: /** @type {OrchestratorClient} */ (clients.get(tenant)),
    jobTypes: [settings.jobType],
    handler,
    concurrency: settings.concurrency,
    ...(settings.batchSize === undefined ? {} : { batchSize: settings.batchSize }),
    ...(settings.completionBatchWindowMs === undefined
      ? {}
      : { completionBatchWindowMs: settings.completionBatchWindowMs }),
    ...(settings.pollWaitMs === undefined ? {} : { pollWaitMs: settings.pollWaitMs }),
    workerId: `bench-${process.pid}-${id}`,
  });
  worker.on('leased', () => {
    if (firstLease) {
      firstLease = false;
      emit({ t: 'lease', at: nowMs() });
    }
  });
  worker.on('completed', () => {
    pending++;
    lastAt = nowMs();
    if (!flushQueued) {
      flushQueued = true;
      setImmediate(flushDone);
    }
  });
  return worker;
}

const running = workers.map((w) =>
  w.start().catch((error) => {
    process.stderr.write(`worker stopped with an error: ${error instanceof Error ? error.message : error}\n`);
    process.exitCode = 1;
  }),
);
emit({ t: 'ready' });

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.all(workers.map((w) => w.stop({ timeoutMs: 10_000 })));
  await Promise.all(running);
  flushDone();
  const stats = workers.map((w) => w.stats);
  const httpCallsMs = Object.fromEntries([...calls].map(([key, values]) => [key, latencySummary(values)]));
  emit({ t: 'stopped', stats, httpCallsMs });
  process.exit();
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = line.trim();
  if (command === 'report') {
    flushDone();
    emit({
      t: 'lat',
      values: latencies.map((v) => Math.round(v * 1000) / 1000),
      firstStart: Math.min(...starts),
      lastStart: Math.max(...starts),
    });
    latencies = [];
    starts = [];
  } else if (command === 'stop') {
    void stop();
  }
});
process.stdin.on('end', () => void stop());
process.on('SIGTERM', () => void stop());
