// The parent side of bench/worker-process.mjs: starts worker processes and aggregates their JSON lines.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readCpuSeconds, readPeakRssMiB } from './server-process.mjs';
import { onInterrupt, sleep } from './util.mjs';

const WORKER_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'worker-process.mjs');

/**
 * Worker settings of a scenario.
 * @typedef {object} FleetSettings
 * @property {number} processes - worker processes
 * @property {number} [workers] - SDK Worker instances per process (1)
 * @property {number} concurrency - per Worker
 * @property {number} [batchSize] - jobs per lease call
 * @property {number} [completionBatchWindowMs]
 * @property {number} [pollWaitMs]
 */

/**
 * Running worker processes.
 * @typedef {object} WorkerFleet
 * @property {() => number} completed - completions accepted so far, all processes
 * @property {() => number} lastCompletedAt - time of the latest completion (shared clock, ms)
 * @property {() => number | null} firstLeaseAt - the earliest first lease answer (shared clock, ms)
 * @property {(target: number, timeoutMs: number) => Promise<number>} waitForCompleted - resolves with the
 *   time (shared clock) of the completion that reached `target`; rejects after `timeoutMs`
 * @property {() => Promise<{ values: number[], firstStart: number, lastStart: number }>} collectLatencies -
 *   submit → start latencies since the last call, and the first and last handler start (shared clock)
 * @property {() => Promise<{ stats: object[], cpuSeconds: number, peakRssMiB: number }>} stop
 */

/**
 * Where the workers lease: one tenant for every process, or several tenants dealt round robin to the
 * processes (a worker token names one tenant: each process then runs Workers for its share of them).
 * @typedef {{ tenant: string, tenants?: undefined } | { tenants: string[], tenant?: undefined }} FleetTenants
 */

/**
 * Starts the worker processes and waits until every one has started its workers.
 * @param {FleetSettings & FleetTenants & { url: string, jobType: string, latency?: boolean }} settings
 * @returns {Promise<WorkerFleet>}
 */
export async function startWorkerFleet(settings) {
  const { processes, tenants, ...common } = settings;
  if (tenants !== undefined && tenants.length < processes)
    throw new Error(`${tenants.length} tenants cannot be shared by ${processes} worker processes`);
  /** @param {number} p */
  const perProcess = (p) =>
    tenants === undefined ? common : { ...common, tenants: tenants.filter((_, i) => i % processes === p) };
  let completed = 0;
  let lastAt = 0;
  /** @type {number | null} */
  let firstLeaseAt = null;
  /** @type {{ target: number, resolve: (at: number) => void }[]} */
  let waiters = [];
  /** @type {((batch: { values: number[], firstStart: number, lastStart: number }) => void)[]} */
  const latencyReplies = [];
  let latencyBatch = { values: /** @type {number[]} */ ([]), firstStart: Infinity, lastStart: -Infinity };
  let latencyPending = 0;

  const children = Array.from({ length: processes }, (_, p) => {
    const child = spawn(process.execPath, [WORKER_SCRIPT, JSON.stringify(perProcess(p))], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const closed = once(child, 'close');
    closed.catch(() => undefined);
    const forget = onInterrupt(async () => {
      child.kill('SIGKILL');
    });
    void closed.finally(forget);
    /** @type {(value: unknown) => void} */
    let onReady = () => undefined;
    const ready = new Promise((resolve, reject) => {
      onReady = resolve;
      child.once('close', (code) =>
        reject(new Error(`a worker process exited before it was ready (${code})`)),
      );
    });
    ready.catch(() => undefined);
    const stopped = new Promise((resolve, reject) => {
      child.once('close', (code) => reject(new Error(`a worker process exited early (code ${code})`)));
      // One reader per stream: closing a second readline interface would pause the stream for both.
      createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) }).on(
        'line',
        (line) => {
          const message = JSON.parse(line);
          if (message.t === 'done') {
            completed += message.n;
            if (message.at > lastAt) lastAt = message.at;
            const due = waiters.filter((w) => completed >= w.target);
            waiters = waiters.filter((w) => completed < w.target);
            for (const w of due) w.resolve(lastAt);
          } else if (message.t === 'lease') {
            if (firstLeaseAt === null || message.at < firstLeaseAt) firstLeaseAt = message.at;
          } else if (message.t === 'lat') {
            latencyBatch.values.push(...message.values);
            latencyBatch.firstStart = Math.min(latencyBatch.firstStart, message.firstStart ?? Infinity);
            latencyBatch.lastStart = Math.max(latencyBatch.lastStart, message.lastStart ?? -Infinity);
            if (--latencyPending === 0) {
              const batch = latencyBatch;
              latencyBatch = { values: [], firstStart: Infinity, lastStart: -Infinity };
              for (const reply of latencyReplies.splice(0)) reply(batch);
            }
          } else if (message.t === 'ready') {
            onReady(undefined);
          } else if (message.t === 'stopped') {
            resolve({ workers: message.stats, httpCallsMs: message.httpCallsMs });
          }
        },
      );
    });
    stopped.catch(() => undefined);
    return { child, stopped, ready, closed };
  });
  await Promise.all(children.map((c) => c.ready));

  /** @param {string} command */
  const send = (command) => {
    for (const { child } of children) child.stdin?.write(`${command}\n`);
  };

  return {
    completed: () => completed,
    lastCompletedAt: () => lastAt,
    firstLeaseAt: () => firstLeaseAt,
    waitForCompleted: (target, timeoutMs) => {
      if (completed >= target) return Promise.resolve(lastAt);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w.resolve !== done);
          reject(new Error(`only ${completed} of ${target} jobs completed within ${timeoutMs} ms`));
        }, timeoutMs);
        /** @param {number} at */
        const done = (at) => {
          clearTimeout(timer);
          resolve(at);
        };
        waiters.push({ target, resolve: done });
      });
    },
    collectLatencies: () =>
      new Promise((resolve) => {
        latencyPending = children.length;
        latencyReplies.push(resolve);
        send('report');
      }),
    stop: async () => {
      let cpuSeconds = 0;
      let peakRssMiB = 0;
      for (const { child } of children) {
        const pid = /** @type {number} */ (child.pid);
        cpuSeconds += readCpuSeconds(pid) ?? 0;
        peakRssMiB = Math.max(peakRssMiB, readPeakRssMiB(pid) ?? 0);
      }
      send('stop');
      const stats = await Promise.all(
        children.map(async ({ stopped, closed }) => {
          const result = await stopped.catch((error) => ({ error: String(error) }));
          await closed.catch(() => undefined);
          return result;
        }),
      );
      return { stats, cpuSeconds: Math.round(cpuSeconds * 10) / 10, peakRssMiB };
    },
  };
}

/**
 * Drains `target` jobs with a fresh fleet and measures jobs/s from the first lease answer to the
 * completion that reached `target`. The fleet is stopped afterwards (jobs leased beyond `target` are
 * completed or given back by the graceful stop).
 *
 * `nothingLeft`, polled every 2 s, ends the wait early when no work is left to complete (jobs whose lease
 * lapsed were retried by the server and may have ended `failed`, so the workers' count never reaches
 * `target`); the caller's check of the job summary then reports what happened.
 * @param {FleetSettings & FleetTenants & { url: string, jobType: string }} settings
 * @param {number} target
 * @param {number} timeoutMs
 * @param {() => Promise<boolean>} [nothingLeft]
 * @returns {Promise<{ ms: number, reachedTarget: boolean, completedAtStop: number, msToLastCompletion: number, workerCpuSeconds: number, workerPeakRssMiB: number, workerStats: object[] }>}
 */
export async function measureDrain(settings, target, timeoutMs, nothingLeft) {
  const fleet = await startWorkerFleet(settings);
  let polling = true;
  try {
    const reached = fleet.waitForCompleted(target, timeoutMs);
    const idle = (async () => {
      while (polling && nothingLeft !== undefined) {
        await sleep(2_000);
        if (polling && (await nothingLeft())) return fleet.lastCompletedAt();
      }
      return new Promise(() => undefined);
    })();
    const lastAt = await Promise.race([reached, idle]);
    const reachedTarget = fleet.completed() >= target;
    polling = false;
    const firstAt = fleet.firstLeaseAt() ?? lastAt;
    const stopped = await fleet.stop();
    return {
      ms: lastAt - firstAt,
      reachedTarget,
      /** Every completion, including jobs leased beyond `target` and completed while stopping. */
      completedAtStop: fleet.completed(),
      msToLastCompletion: fleet.lastCompletedAt() - firstAt,
      workerCpuSeconds: stopped.cpuSeconds,
      workerPeakRssMiB: stopped.peakRssMiB,
      workerStats: stopped.stats,
    };
  } catch (error) {
    polling = false;
    await fleet.stop().catch(() => undefined);
    throw error;
  }
}

/**
 * Sums one counter of the SDK workers over every process of a fleet's `stop()` result.
 * @param {any[]} processStats - `workerStats` of {@link measureDrain}
 * @param {string} counter - such as `lostLeases`
 * @returns {number}
 */
export function sumWorkerCounter(processStats, counter) {
  let total = 0;
  for (const p of processStats) for (const w of p.workers ?? []) total += Number(w[counter] ?? 0);
  return total;
}

/**
 * The slowest p50 and max of one endpoint's call durations over every process of a fleet.
 * @param {any[]} processStats - `workerStats` of {@link measureDrain}
 * @param {string} endpoint - such as `POST /leases/complete`
 * @returns {{ p50: number, max: number }}
 */
export function callDurations(processStats, endpoint) {
  let p50 = Number.NaN;
  let max = Number.NaN;
  for (const p of processStats) {
    const d = p.httpCallsMs?.[endpoint];
    if (d === undefined) continue;
    p50 = Number.isNaN(p50) ? d.p50 : Math.max(p50, d.p50);
    max = Number.isNaN(max) ? d.max : Math.max(max, d.max);
  }
  return { p50, max };
}
