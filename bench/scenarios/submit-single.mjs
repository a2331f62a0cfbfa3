// Scenario 1: single `POST /jobs` calls from a fixed number of concurrent callers (closed loop).
import { JOB_TYPE, withServer } from '../harness.mjs';
import { forEachConcurrent, latencySummary, nowMs, perSecond } from '../util.mjs';

export const name = 'submit-single';
export const title = 'POST /jobs, one job a call, concurrent callers';

/**
 * @param {import('../harness.mjs').ScenarioContext} ctx
 * @returns {Promise<Omit<import('../harness.mjs').ScenarioResult, 'scenario' | 'engine' | 'wallSeconds'>>}
 */
export async function run(ctx) {
  const jobs = ctx.quick ? 2_000 : 20_000;
  const warmup = ctx.quick ? 200 : 1_000;
  const callers = 32;
  const { value, serverPeakRssMiB, serverCpuSeconds } = await withServer(ctx, name, async ({ client }) => {
    const submit = (/** @type {number} */ i) => client.submitJob({ jobType: JOB_TYPE, payload: { i } });
    await forEachConcurrent(warmup, callers, async (i) => {
      await submit(-i - 1);
    });
    /** @type {number[]} */
    const latencies = [];
    const started = nowMs();
    await forEachConcurrent(jobs, callers, async (i) => {
      const t0 = nowMs();
      await submit(i);
      latencies.push(nowMs() - t0);
    });
    const ms = nowMs() - started;
    return { ms, latency: latencySummary(latencies) };
  });
  return {
    figures: [
      { label: `jobs/s (${callers} callers)`, value: perSecond(jobs, value.ms) },
      { label: 'call latency p50 / p99 (ms)', value: `${value.latency.p50} / ${value.latency.p99}` },
    ],
    details: { jobs, warmup, callers, elapsedMs: Math.round(value.ms), latencyMs: value.latency },
    settings: { callers, jobs, warmup },
    serverPeakRssMiB,
    serverCpuSeconds,
  };
}
