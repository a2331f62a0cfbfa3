// Scenario: the drain through 1,000 sources of 100 tenants, once without limits and once with every source
// rate-limited (limits that never bind), and the server's lease-grant latency of each (decision 0016 §8).
import { OrchestratorClient } from '@stella-orch/client';
import { adminQuery } from '../engines.mjs';
import { JOB_TYPE, withServer } from '../harness.mjs';
import { histogramQuantile, parseHistogram } from '../prometheus.mjs';
import { measureDrain, sumWorkerCounter } from '../worker-fleet.mjs';
import { BENCH_CLIENT, forEachConcurrent, log, nowMs, perSecond, round } from '../util.mjs';

export const name = 'drain-limited';
export const title = 'drain through 1,000 sources of 100 tenants: unlimited, then every source rate-limited';

const TENANTS = 100;
const SOURCES_PER_TENANT = 10;
/** Far above what the drain reaches per source (tens of jobs a second): the limit is checked, never binds. */
const RATE_LIMIT = { burst: 10_000, refillPerSecond: 10_000 };
/** The histogram `JobService.leaseJobs` observes once per lease call, granted or empty. */
const LEASE_GRANT = 'stella_orch_lease_grant_duration_seconds';
/** The throughput the limited drain must keep, in % of the unlimited one (the target). */
const TARGET_PERCENT = 70;

/**
 * Worker settings: a worker token names one tenant, so every tenant has its own SDK Worker; the 100 are
 * dealt to 2 processes. Small per-tenant concurrency and batches, as many tenants sharing a pool would run.
 * @type {import('../worker-fleet.mjs').FleetSettings}
 */
const SETTINGS = {
  processes: 2,
  workers: 1,
  concurrency: 10,
  batchSize: 10,
  completionBatchWindowMs: 2,
  pollWaitMs: 25_000,
};

/**
 * The server's configuration: the bench client may also register sources (`orch:operate`), and the token
 * endpoint takes the 300 token requests of a run (100 tenants × an operator token and a worker token, from
 * one address) at once instead of 5 a second.
 * @type {Record<string, unknown>}
 */
const CONFIG = {
  authority: {
    bootstrapClients: false,
    clients: [
      {
        ...BENCH_CLIENT,
        scopes: ['orch:read', 'orch:submit', 'orch:worker', 'orch:operate'],
        tenants: ['*'],
      },
    ],
    rateLimit: { requestsPerSecond: 1_000_000, burst: 1_000_000 },
    tokenRateLimit: { requestsPerSecond: 1_000_000, burst: 1_000_000 },
  },
};

/**
 * A client of one tenant that reads, submits and registers sources (`orch:operate` needs an operator
 * reason and ticket on the token; they land in each `source.register` audit entry).
 * @param {string} url
 * @param {string} tenant
 * @returns {OrchestratorClient}
 */
function operatorClient(url, tenant) {
  return new OrchestratorClient({
    baseUrl: url,
    tenant,
    timeoutMs: 120_000,
    credentials: {
      ...BENCH_CLIENT,
      scopes: ['orch:read', 'orch:submit', 'orch:operate'],
      operatorReason: 'benchmark: drain through rate-limited sources',
      operatorTicket: 'BENCH-2',
    },
  });
}

/**
 * Registers each tenant's sources and queues its jobs, spread evenly over them (untimed set-up).
 * @param {OrchestratorClient[]} clients - one per tenant
 * @param {number} jobsPerTenant
 * @param {boolean} limited - every source with {@link RATE_LIMIT}, else none
 */
async function setUp(clients, jobsPerTenant, limited) {
  const started = nowMs();
  await forEachConcurrent(clients.length * SOURCES_PER_TENANT, 8, async (k) => {
    const client = clients[Math.floor(k / SOURCES_PER_TENANT)];
    const sourceId = `src-${k % SOURCES_PER_TENANT}`;
    const source = await client.registerSource({
      sourceId,
      sourceType: 'bench',
      ...(limited ? { rateLimit: RATE_LIMIT } : {}),
    });
    const want = limited ? RATE_LIMIT : null;
    if (JSON.stringify(source.rateLimit) !== JSON.stringify(want))
      throw new Error(`source ${sourceId} has rate limit ${JSON.stringify(source.rateLimit)}`);
  });
  const registered = nowMs();
  await forEachConcurrent(clients.length, 4, async (t) => {
    const jobs = Array.from({ length: jobsPerTenant }, (_, i) => ({
      jobType: JOB_TYPE,
      sourceId: `src-${i % SOURCES_PER_TENANT}`,
      payload: { i },
    }));
    for (let from = 0; from < jobs.length; from += 1_000) {
      const batch = jobs.slice(from, from + 1_000);
      const answer = await clients[t].submitJobs(batch);
      if (answer.created !== batch.length)
        throw new Error(`a batch created ${answer.created} of ${batch.length} jobs`);
    }
  });
  return { registerMs: Math.round(registered - started), prequeueMs: Math.round(nowMs() - registered) };
}

/**
 * Job counts by status over every tenant.
 * @param {OrchestratorClient[]} clients
 * @returns {Promise<Record<string, number>>}
 */
async function countsOfAll(clients) {
  /** @type {Record<string, number>} */
  const total = {};
  await forEachConcurrent(clients.length, 4, async (t) => {
    const summary = await clients[t].getJobsSummary();
    for (const [status, n] of Object.entries(summary.byStatus)) {
      if (n !== 0) total[status] = (total[status] ?? 0) + n;
    }
  });
  return total;
}

/**
 * Whether no tenant has work left (stops at the first that has).
 * @param {OrchestratorClient[]} clients
 * @returns {Promise<boolean>}
 */
async function nothingLeft(clients) {
  for (const client of clients) {
    const c = (await client.getJobsSummary()).byStatus;
    if ((c.pending ?? 0) + (c.leased ?? 0) + (c.running ?? 0) + (c.waiting ?? 0) > 0) return false;
  }
  return true;
}

/**
 * One run on a fresh server: 100 tenants × 10 sources, limited or not, drained by the worker fleet.
 * @param {import('../harness.mjs').ScenarioContext} ctx
 * @param {number} jobs
 * @param {boolean} limited
 */
async function drainOnce(ctx, jobs, limited) {
  return withServer(
    ctx,
    name,
    async ({ url, tenant, server, engine }) => {
      const tenants = Array.from({ length: TENANTS }, (_, t) => `${tenant}-t${String(t).padStart(3, '0')}`);
      const clients = tenants.map((t) => operatorClient(url, t));
      const setup = await setUp(clients, jobs / TENANTS, limited);
      log(
        `  ${limited ? 'limited' : 'unlimited'}: ${TENANTS * SOURCES_PER_TENANT} sources in ` +
          `${round(setup.registerMs / 1000, 1)} s, ${jobs} jobs in ${round(setup.prequeueMs / 1000, 1)} s; draining`,
      );
      // The statistics autovacuum would have gathered a minute later (the embedded engine's own
      // maintenance analyzes after the burst of inserts): the drain measures the steady state, not a
      // planner that has never seen the tables.
      if (engine.databaseUrl !== undefined) await adminQuery(engine.databaseUrl, 'ANALYZE');
      const cpuBefore = server.cpuSeconds() ?? Number.NaN;
      const drained = await measureDrain(
        { ...SETTINGS, url, tenants, jobType: JOB_TYPE },
        jobs,
        30 * 60_000,
        () => nothingLeft(clients),
      );
      const drainCpuSeconds = round((server.cpuSeconds() ?? Number.NaN) - cpuBefore, 1);
      // Every lease call of this server was made by the drain (set-up leases nothing), so the histogram
      // as it stands is the drain's; the workers' empty long-poll wake-ups at stop are in it too.
      const histogram = parseHistogram(await server.metrics(), LEASE_GRANT);
      if (histogram === null) throw new Error(`GET /metrics has no ${LEASE_GRANT}`);
      const counts = await countsOfAll(clients);
      if (counts['succeeded'] !== jobs) {
        const lost = sumWorkerCounter(drained.workerStats, 'lostLeases');
        throw new Error(
          `expected ${jobs} succeeded jobs, the summaries say ${JSON.stringify(counts)} (${lost} leases lost)`,
        );
      }
      return { setup, drained, drainCpuSeconds, histogram, counts };
    },
    { config: CONFIG },
  );
}

/**
 * p50 / p99 / mean of a lease-grant histogram in milliseconds, and the number of lease calls.
 * @param {import('../prometheus.mjs').Histogram} histogram
 */
function grantLatency(histogram) {
  return {
    calls: histogram.count,
    p50Ms: round(histogramQuantile(0.5, histogram.buckets) * 1000, 2),
    p99Ms: round(histogramQuantile(0.99, histogram.buckets) * 1000, 2),
    meanMs: histogram.count === 0 ? Number.NaN : round((histogram.sum / histogram.count) * 1000, 2),
  };
}

/**
 * @param {import('../harness.mjs').ScenarioContext} ctx
 * @returns {Promise<Omit<import('../harness.mjs').ScenarioResult, 'scenario' | 'engine' | 'wallSeconds'>>}
 */
export async function run(ctx) {
  const jobs = ctx.quick ? 10_000 : 50_000;
  const unlimited = await drainOnce(ctx, jobs, false);
  const limited = await drainOnce(ctx, jobs, true);
  const unlimitedRate = perSecond(jobs, unlimited.value.drained.ms);
  const limitedRate = perSecond(jobs, limited.value.drained.ms);
  const percent = round((100 * limitedRate) / unlimitedRate);
  const grantA = grantLatency(unlimited.value.histogram);
  const grantB = grantLatency(limited.value.histogram);
  return {
    figures: [
      {
        label: `unlimited jobs/s (${jobs.toLocaleString('en-US')} jobs, 1,000 sources)`,
        value: unlimitedRate,
      },
      { label: 'limited jobs/s (every source rate-limited)', value: limitedRate },
      {
        label: `limited throughput (% of unlimited; target ≥ ${TARGET_PERCENT})`,
        value: `${percent} (${percent >= TARGET_PERCENT ? 'met' : 'NOT met'})`,
      },
      { label: 'lease grant p50 / p99 (ms), limited', value: `${grantB.p50Ms} / ${grantB.p99Ms}` },
      { label: 'lease grant p50 / p99 (ms), unlimited', value: `${grantA.p50Ms} / ${grantA.p99Ms}` },
      { label: 'lease calls unlimited / limited', value: `${grantA.calls} / ${grantB.calls}` },
      {
        label: 'server CPU s during the drain unlimited / limited',
        value: `${unlimited.value.drainCpuSeconds} / ${limited.value.drainCpuSeconds}`,
      },
    ],
    details: {
      jobs,
      tenants: TENANTS,
      sourcesPerTenant: SOURCES_PER_TENANT,
      rateLimit: RATE_LIMIT,
      targetPercent: TARGET_PERCENT,
      unlimited: runDetails(unlimited, grantA),
      limited: runDetails(limited, grantB),
    },
    settings: { ...SETTINGS, tenants: TENANTS, sourcesPerTenant: SOURCES_PER_TENANT },
    serverPeakRssMiB: limited.serverPeakRssMiB,
    serverCpuSeconds: limited.serverCpuSeconds,
  };
}

/**
 * What the JSON keeps of one run.
 * @param {Awaited<ReturnType<typeof drainOnce>>} result
 * @param {ReturnType<typeof grantLatency>} grant
 */
function runDetails(result, grant) {
  const { setup, drained, drainCpuSeconds, histogram, counts } = result.value;
  return {
    elapsedMs: Math.round(drained.ms),
    registerMs: setup.registerMs,
    prequeueMs: setup.prequeueMs,
    summary: counts,
    leaseGrant: {
      ...grant,
      buckets: histogram.buckets.map((/** @type {{ le: number, count: number }} */ b) => [
        String(b.le),
        b.count,
      ]),
    },
    leasesLost: sumWorkerCounter(drained.workerStats, 'lostLeases'),
    drainServerCpuSeconds: drainCpuSeconds,
    serverCpuSeconds: result.serverCpuSeconds,
    serverPeakRssMiB: result.serverPeakRssMiB,
    workerCpuSeconds: drained.workerCpuSeconds,
    workerPeakRssMiB: drained.workerPeakRssMiB,
    workerStats: drained.workerStats,
  };
}
