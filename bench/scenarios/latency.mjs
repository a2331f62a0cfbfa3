// Scenario 4: open-loop submit → handler start latency at fixed submission rates.
import { JOB_TYPE, withServer } from '../harness.mjs';
import { startWorkerFleet } from '../worker-fleet.mjs';
import { fmt, latencySummary, log, nowMs, perSecond, round, sleep } from '../util.mjs';

export const name = 'latency';
export const title = 'open-loop submit → handler start at fixed rates';

/** The worker settings of this scenario. */
export const LATENCY_WORKERS = {
  processes: 1,
  workers: 1,
  concurrency: 32,
  batchSize: 16,
  completionBatchWindowMs: 2,
  pollWaitMs: 25_000,
};

/**
 * Submits single jobs at `rate` per second for `durationMs`, each carrying its submit time (`payload.t`),
 * without waiting for answers before the next is due (open loop).
 * @param {import('@stella-orch/client').OrchestratorClient} client
 * @param {number} rate
 * @param {number} durationMs
 */
async function openLoop(client, rate, durationMs) {
  const total = Math.round((rate * durationMs) / 1000);
  /** @type {Set<Promise<void>>} */
  const inflight = new Set();
  /** @type {number[]} */
  const callLatencies = [];
  let errors = 0;
  /** @type {Map<string, number>} */
  const errorKinds = new Map();
  let sent = 0;
  let lastAcceptedAt = 0;
  let maxInflight = 0;
  const start = nowMs();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((nowMs() - start) * rate) / 1000) + 1);
    while (sent < due) {
      const t = nowMs();
      const call = client.submitJob({ jobType: JOB_TYPE, payload: { t, i: sent } }).then(
        () => {
          lastAcceptedAt = nowMs();
          callLatencies.push(lastAcceptedAt - t);
        },
        (/** @type {unknown} */ error) => {
          errors++;
          const kind = error instanceof Error ? error.message.replace(/\d{4,}/g, 'N') : String(error);
          errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
        },
      );
      inflight.add(call);
      void call.finally(() => inflight.delete(call));
      sent++;
    }
    maxInflight = Math.max(maxInflight, inflight.size);
    const wait = start + (sent * 1000) / rate - nowMs();
    await sleep(Math.max(0, wait));
  }
  const lastSendAt = nowMs();
  await Promise.all(inflight);
  return {
    sent,
    accepted: callLatencies.length,
    errors,
    errorKinds: Object.fromEntries(errorKinds),
    maxInflight,
    startedAt: start,
    sendMs: lastSendAt - start,
    /** From the first send to the last accepted answer: what the server sustained. */
    acceptMs: lastAcceptedAt - start,
    callLatencyMs: latencySummary(callLatencies),
  };
}

/**
 * One rate's measurement.
 * @typedef {object} Phase
 * @property {number} rate - asked for, jobs/s
 * @property {number} achievedSubmitRate - submits accepted per second
 * @property {number} achievedStartRate - handler starts per second
 * @property {number} started - handler starts seen
 * @property {number} failedSubmits - submits that got no answer or an error
 * @property {ReturnType<typeof latencySummary>} latencyMs - submit → handler start
 * @property {object} producer - the producer's own figures
 */

/**
 * @param {import('../harness.mjs').ScenarioContext} ctx
 * @returns {Promise<Omit<import('../harness.mjs').ScenarioResult, 'scenario' | 'engine' | 'wallSeconds'>>}
 */
export async function run(ctx) {
  const rates = [200, 1_000];
  const durationMs = ctx.quick ? 2_000 : 10_000;
  const { value, serverPeakRssMiB, serverCpuSeconds } = await withServer(
    ctx,
    name,
    async ({ client, url, tenant }) => {
      const fleet = await startWorkerFleet({
        ...LATENCY_WORKERS,
        url,
        tenant,
        jobType: JOB_TYPE,
        latency: true,
      });
      try {
        await sleep(500); // the workers' first long-polls are waiting
        // Warm-up: 1 s at the lower rate, not reported.
        const warmup = await openLoop(client, rates[0], 1_000);
        let expected = warmup.accepted;
        await fleet.waitForCompleted(expected, 30_000);
        await fleet.collectLatencies();
        /** @type {{ rate: number, achievedSubmitRate: number, achievedStartRate: number, started: number, latencyMs: ReturnType<typeof latencySummary>, producer: object }[]} */
        const phases = [];
        for (const rate of rates) {
          const producer = await openLoop(client, rate, durationMs);
          expected += producer.accepted;
          await fleet.waitForCompleted(expected, 180_000);
          const started = await fleet.collectLatencies();
          const phase = {
            rate,
            achievedSubmitRate: perSecond(producer.accepted, producer.acceptMs),
            /** Jobs started per second, from the first submit to the last handler start. */
            achievedStartRate: perSecond(started.values.length, started.lastStart - producer.startedAt),
            producer,
            failedSubmits: producer.errors,
            started: started.values.length,
            latencyMs: latencySummary(started.values),
          };
          log(
            `  ${rate}/s: submitted ${phase.achievedSubmitRate}/s, started ${phase.achievedStartRate}/s, ` +
              `submit→start p50 ${phase.latencyMs.p50} p99 ${phase.latencyMs.p99} max ${phase.latencyMs.max} ms`,
          );
          phases.push(phase);
        }
        const stopped = await fleet.stop();
        return { phases, workerCpuSeconds: stopped.cpuSeconds };
      } catch (error) {
        await fleet.stop().catch(() => undefined);
        throw error;
      }
    },
  );
  return {
    figures: value.phases.flatMap((/** @type {Phase} */ p) => [
      {
        label: `${p.rate}/s: achieved submit / start rate (jobs/s)`,
        value:
          `${fmt(p.achievedSubmitRate)} / ${fmt(p.achievedStartRate)}` +
          (p.failedSubmits > 0 ? ` (${fmt(p.failedSubmits)} submits failed)` : ''),
      },
      {
        label: `${p.rate}/s: submit→start p50 / p99 / max (ms)`,
        value: `${round(p.latencyMs.p50, 1)} / ${round(p.latencyMs.p99, 1)} / ${round(p.latencyMs.max, 1)}`,
      },
    ]),
    details: { durationMs, phases: value.phases, workerCpuSeconds: value.workerCpuSeconds },
    settings: { ...LATENCY_WORKERS, rates, durationMs },
    serverPeakRssMiB,
    serverCpuSeconds,
  };
}
