// Scenario 5: drain throughput of 20,000 jobs with a small and with a large backlog queued behind them.
import { randomUUID } from 'node:crypto';
import { JobService } from '@stella-orch/core';
import { openLedger } from '@stella-orch/store-postgres';
import { JOB_TYPE, prequeue, statusCounts, withServer } from '../harness.mjs';
import { measureDrain, sumWorkerCounter } from '../worker-fleet.mjs';
import { drainSettings } from './drain.mjs';
import { fmt, forEachConcurrent, log, nowMs, perSecond, round } from '../util.mjs';

export const name = 'backlog';
export const title = 'drain 20,000 jobs with a small vs a large backlog behind them';

/**
 * @param {import('../harness.mjs').ScenarioContext & { backlogFill?: string }} ctx
 * @returns {Promise<Omit<import('../harness.mjs').ScenarioResult, 'scenario' | 'engine' | 'wallSeconds'>>}
 */
export async function run(ctx) {
  const drainJobs = ctx.quick ? 2_000 : 20_000;
  const large = ctx.quick
    ? 50_000
    : ctx.engine === 'pglite'
      ? Math.min(1_000_000, ctx.pgliteBacklog)
      : 1_000_000;
  const backlogs = [10_000, large];
  const fill = ctx.engine === 'pg' ? (ctx.backlogFill ?? 'api') : 'api';
  const settings = drainSettings(ctx);
  const runs = [];
  let peak = 0;
  let cpu = 0;
  for (const backlog of backlogs) {
    const { value, serverPeakRssMiB, serverCpuSeconds } = await withServer(
      ctx,
      name,
      async ({ client, url, tenant, engine }) => {
        const total = drainJobs + backlog;
        const queued =
          fill === 'ledger' && engine.databaseUrl !== undefined
            ? await queueThroughLedger(engine.databaseUrl, tenant, total)
            : await prequeue(client, total, { label: 'backlog queued', concurrency: 4 });
        log(
          `  queued ${total.toLocaleString('en-US')} jobs (${fill}) in ${round(queued.ms / 1000, 1)} s; draining ${drainJobs.toLocaleString('en-US')}`,
        );
        const drained = await measureDrain(
          { ...settings, url, tenant, jobType: JOB_TYPE },
          drainJobs,
          30 * 60_000,
        );
        const counts = await statusCounts(client);
        const succeeded = counts['succeeded'] ?? 0;
        // Stopping the workers aborts their lease long-poll; jobs it had leased stay `leased` until the lease
        // lapses and the reaper makes them pending again (see bench/README.md). They are still queued work.
        const queuedStill = (counts['pending'] ?? 0) + (counts['leased'] ?? 0) + (counts['running'] ?? 0);
        // A lapsed lease is retried by the server; after the last attempt the job ends `failed`.
        if (succeeded < drainJobs || succeeded + queuedStill + (counts['failed'] ?? 0) !== total) {
          throw new Error(`after the drain the summary says ${JSON.stringify(counts)} of ${total} jobs`);
        }
        return { backlog, total, queued, drained, counts };
      },
    );
    peak = Math.max(peak, serverPeakRssMiB ?? 0);
    cpu += serverCpuSeconds ?? 0;
    const jobsPerSecond = perSecond(drainJobs, value.drained.ms);
    log(
      `  backlog ${backlog.toLocaleString('en-US')}: ${jobsPerSecond} jobs/s to the ${drainJobs.toLocaleString('en-US')}th completion; ` +
        `${value.drained.completedAtStop.toLocaleString('en-US')} completed by the stop at ` +
        `${perSecond(value.drained.completedAtStop, value.drained.msToLastCompletion)}/s; peak RSS ${serverPeakRssMiB} MiB`,
    );
    runs.push({
      backlog,
      queuedTotal: value.total,
      fill,
      queueMs: Math.round(value.queued.ms),
      jobsPerSecond,
      elapsedMs: Math.round(value.drained.ms),
      summaryAfter: value.counts,
      serverPeakRssMiB,
      serverCpuSeconds,
      /** All completions (the target and the jobs leased beyond it, completed while stopping) per second. */
      allCompletionsPerSecond: perSecond(value.drained.completedAtStop, value.drained.msToLastCompletion),
      completedAtStop: value.drained.completedAtStop,
      lostLeases: sumWorkerCounter(value.drained.workerStats, 'lostLeases'),
      workerCpuSeconds: value.drained.workerCpuSeconds,
      workerStats: value.drained.workerStats,
    });
  }
  return {
    figures: [
      { label: 'large backlog (jobs left queued)', value: large },
      {
        label: 'backlog queued through',
        value: fill === 'ledger' ? 'JobService, no HTTP' : 'POST /jobs/batch',
      },
      ...runs.map((r, i) => ({
        label: `jobs/s to the ${drainJobs.toLocaleString('en-US')}th completion, ${i === 0 ? '10k' : 'large'} backlog`,
        value: r.jobsPerSecond,
      })),
      {
        label: 'all completions/s incl. over-leased, 10k / large',
        value: runs.map((r) => fmt(r.allCompletionsPerSecond)).join(' / '),
      },
      { label: 'leases lost, 10k / large', value: runs.map((r) => fmt(r.lostLeases)).join(' / ') },
      {
        label: 'server peak RSS, 10k / large backlog (MiB)',
        value: runs.map((r) => fmt(r.serverPeakRssMiB ?? Number.NaN)).join(' / '),
      },
    ],
    details: { drainJobs, runs },
    settings: { ...settings, drainJobs, backlogs, fill, pgliteBacklogCap: ctx.pgliteBacklog },
    serverPeakRssMiB: peak,
    serverCpuSeconds: round(cpu, 1),
  };
}

/**
 * Queues jobs by calling the same application service the API route calls (`JobService.submitJobs`, batches
 * of 1,000, one correlation id per batch like one request) on a second connection to the server's
 * PostgreSQL database: the same rows, history and events as `POST /jobs/batch`, without HTTP.
 * @param {string} databaseUrl
 * @param {string} tenantId
 * @param {number} count
 * @returns {Promise<{ count: number, ms: number }>}
 */
async function queueThroughLedger(databaseUrl, tenantId, count) {
  const ledger = await openLedger({ databaseUrl, migrate: false });
  const jobs = new JobService({
    store: ledger.store,
    ids: { uuid: () => randomUUID(), random: Math.random },
  });
  const started = nowMs();
  let lastLog = started;
  let done = 0;
  try {
    const batches = Math.ceil(count / 1_000);
    await forEachConcurrent(batches, 4, async (b) => {
      const size = Math.min(1_000, count - b * 1_000);
      const submissions = Array.from({ length: size }, (_, i) => ({
        jobType: JOB_TYPE,
        payload: { i: b * 1_000 + i },
      }));
      const ctx = {
        tenantId,
        actor: { subject: 'anonymous', clientId: null, scopes: [] },
        correlationId: randomUUID(),
      };
      const created = await jobs.submitJobs(ctx, submissions, { batch: true });
      if (created.length !== size) throw new Error(`a batch created ${created.length} of ${size} jobs`);
      done += size;
      if (nowMs() - lastLog > 10_000) {
        lastLog = nowMs();
        log(`  backlog queued ${done.toLocaleString('en-US')} / ${count.toLocaleString('en-US')}`);
      }
    });
  } finally {
    await ledger.store.close();
  }
  return { count, ms: nowMs() - started };
}
