// Scenario 3: pre-queued no-op jobs processed end to end (HTTP leasing, SDK workers in other processes).
import { JOB_TYPE, prequeue, statusCounts, withServer } from '../harness.mjs';
import { callDurations, measureDrain, sumWorkerCounter } from '../worker-fleet.mjs';
import { fmt, log, perSecond, round } from '../util.mjs';

export const name = 'drain';
export const title = 'drain pre-queued no-op jobs through HTTP leasing';

/**
 * The worker settings of the drain scenarios (also used by `backlog`), overridable on the command line.
 * @param {import('../harness.mjs').ScenarioContext} ctx
 * @returns {import('../worker-fleet.mjs').FleetSettings}
 */
export function drainSettings(ctx) {
  return {
    processes: 2,
    workers: 1,
    concurrency: 100,
    batchSize: 100,
    completionBatchWindowMs: 2,
    pollWaitMs: 25_000,
    ...ctx.tuning,
  };
}

/**
 * @param {import('../harness.mjs').ScenarioContext} ctx
 * @returns {Promise<Omit<import('../harness.mjs').ScenarioResult, 'scenario' | 'engine' | 'wallSeconds'>>}
 */
export async function run(ctx) {
  const jobs = ctx.quick ? 10_000 : 100_000;
  const settings = drainSettings(ctx);
  const { value, serverPeakRssMiB, serverCpuSeconds } = await withServer(
    ctx,
    name,
    async ({ client, url, tenant }) => {
      const queued = await prequeue(client, jobs, { label: 'pre-queued' });
      log(`  pre-queued ${jobs} jobs in ${round(queued.ms / 1000, 1)} s; draining`);
      const nothingLeft = async () => {
        const c = await statusCounts(client);
        return (c['pending'] ?? 0) + (c['leased'] ?? 0) + (c['running'] ?? 0) + (c['waiting'] ?? 0) === 0;
      };
      const drained = await measureDrain(
        { ...settings, url, tenant, jobType: JOB_TYPE },
        jobs,
        30 * 60_000,
        nothingLeft,
      );
      const counts = await statusCounts(client);
      if (counts['succeeded'] !== jobs) {
        const lost = sumWorkerCounter(drained.workerStats, 'lostLeases');
        throw new Error(
          `expected ${jobs} succeeded jobs, the summary says ${JSON.stringify(counts)} (${lost} leases lost)`,
        );
      }
      return { queued, drained, counts };
    },
  );
  const complete = callDurations(value.drained.workerStats, 'POST /leases/complete');
  return {
    figures: [
      { label: `jobs/s (${jobs.toLocaleString('en-US')} jobs)`, value: perSecond(jobs, value.drained.ms) },
      {
        label: 'POST /leases/complete call p50 / max (ms)',
        value: `${fmt(complete.p50)} / ${fmt(complete.max)}`,
      },
      { label: 'leases lost (LEASE_LOST)', value: sumWorkerCounter(value.drained.workerStats, 'lostLeases') },
    ],
    details: {
      jobs,
      elapsedMs: Math.round(value.drained.ms),
      prequeueMs: Math.round(value.queued.ms),
      summary: value.counts,
      workerCpuSeconds: value.drained.workerCpuSeconds,
      workerPeakRssMiB: value.drained.workerPeakRssMiB,
      workerStats: value.drained.workerStats,
    },
    settings,
    serverPeakRssMiB,
    serverCpuSeconds,
  };
}
