// Scenario 2: `POST /jobs/batch` of 1,000 jobs, one caller and several concurrent callers.
import { JOB_TYPE, withServer } from '../harness.mjs';
import { forEachConcurrent, latencySummary, nowMs, perSecond } from '../util.mjs';

export const name = 'submit-batch';
export const title = 'POST /jobs/batch of 1,000 jobs';

const BATCH = 1_000;

/**
 * @param {import('../harness.mjs').ScenarioContext} ctx
 * @returns {Promise<Omit<import('../harness.mjs').ScenarioResult, 'scenario' | 'engine' | 'wallSeconds'>>}
 */
export async function run(ctx) {
  const batches = ctx.quick ? 10 : 50;
  const parallel = 4;
  const { value, serverPeakRssMiB, serverCpuSeconds } = await withServer(ctx, name, async ({ client }) => {
    let n = 0;
    const batch = () => Array.from({ length: BATCH }, () => ({ jobType: JOB_TYPE, payload: { i: n++ } }));
    // Warm-up: two batches, not timed.
    await client.submitJobs(batch());
    await client.submitJobs(batch());
    /** @param {number} callers */
    const measure = async (callers) => {
      /** @type {number[]} */
      const latencies = [];
      const started = nowMs();
      await forEachConcurrent(batches, callers, async () => {
        const jobs = batch();
        const t0 = nowMs();
        const answer = await client.submitJobs(jobs);
        latencies.push(nowMs() - t0);
        if (answer.created !== BATCH) throw new Error(`a batch created ${answer.created} jobs`);
      });
      const ms = nowMs() - started;
      return {
        jobsPerSecond: perSecond(batches * BATCH, ms),
        elapsedMs: Math.round(ms),
        latencyMs: latencySummary(latencies),
      };
    };
    const one = await measure(1);
    const several = await measure(parallel);
    return { one, several };
  });
  return {
    figures: [
      { label: 'jobs/s (1 caller)', value: value.one.jobsPerSecond },
      { label: `jobs/s (${parallel} callers)`, value: value.several.jobsPerSecond },
      { label: 'call latency p50 (ms, 1 caller)', value: value.one.latencyMs.p50 },
    ],
    details: {
      batchSize: BATCH,
      batchesPerMeasurement: batches,
      oneCaller: value.one,
      severalCallers: value.several,
    },
    settings: { batchSize: BATCH, batches, callers: [1, parallel] },
    serverPeakRssMiB,
    serverCpuSeconds,
  };
}
