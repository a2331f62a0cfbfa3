// Small helpers shared by the benchmark: clocks, percentiles, number formatting, free ports.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/**
 * The OAuth client every benchmark server declares in its configuration (every scope, every tenant, a
 * rate limit out of the way): the benchmark measures the orchestrator, not its request budget.
 */
export const BENCH_CLIENT = { clientId: 'bench', clientSecret: 'bench-secret-for-measurements-only' };

/**
 * Wall-clock time in milliseconds with sub-millisecond resolution. Every process of the benchmark uses
 * this clock, so a timestamp taken in one process can be compared with one taken in another (same machine).
 * @returns {number}
 */
export function nowMs() {
  return performance.timeOrigin + performance.now();
}

/**
 * The q-quantile (0–1) of already sorted numbers, nearest rank.
 * @param {ArrayLike<number>} sorted
 * @param {number} q
 * @returns {number}
 */
export function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/**
 * p50 / p90 / p99 / max / mean of latencies in milliseconds.
 * @param {readonly number[]} values
 * @returns {{count: number, p50: number, p90: number, p99: number, max: number, mean: number}}
 */
export function latencySummary(values) {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: round(quantile(sorted, 0.5), 2),
    p90: round(quantile(sorted, 0.9), 2),
    p99: round(quantile(sorted, 0.99), 2),
    max: round(sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1], 2),
    mean: round(sorted.length === 0 ? Number.NaN : sum / sorted.length, 2),
  };
}

/**
 * @param {number} value
 * @param {number} digits
 * @returns {number}
 */
export function round(value, digits = 0) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Jobs per second of `count` jobs over `ms` milliseconds.
 * @param {number} count
 * @param {number} ms
 * @returns {number}
 */
export function perSecond(count, ms) {
  return ms > 0 ? round((count * 1000) / ms) : Number.NaN;
}

/**
 * `12,345` style.
 * @param {number} value
 * @param {number} [digits]
 * @returns {string}
 */
export function fmt(value, digits = 0) {
  if (typeof value !== 'number' || Number.isNaN(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * A port nobody listens on right now (bound and released on 127.0.0.1).
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A short random suffix for tenants and database names: 8 lowercase hex digits.
 * @returns {string}
 */
export function randomSuffix() {
  return randomBytes(4).toString('hex');
}

/**
 * Runs `task(i)` for i in [0, count) with at most `concurrency` running at once.
 * @param {number} count
 * @param {number} concurrency
 * @param {(i: number) => Promise<void>} task
 * @returns {Promise<void>}
 */
export async function forEachConcurrent(count, concurrency, task) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  });
  await Promise.all(lanes);
}

/**
 * Logs a progress line to stderr (the table and JSON go to stdout / the JSON file).
 * @param {string} message
 */
export function log(message) {
  const time = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${time}] ${message}\n`);
}

/** @type {Set<() => Promise<void>>} */
const cleanups = new Set();

/**
 * Registers clean-up to run if the benchmark is interrupted (SIGINT, SIGTERM): drop databases, stop
 * child processes.
 * @param {() => Promise<void>} cleanup
 * @returns {() => void} unregisters it
 */
export function onInterrupt(cleanup) {
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/** Makes SIGINT and SIGTERM run the registered clean-ups, newest first, then exit. */
export function installInterruptCleanup() {
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void (async () => {
        for (const cleanup of [...cleanups].reverse()) {
          try {
            await cleanup();
          } catch (error) {
            log(`clean-up failed: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        process.exit(130);
      })();
    });
  }
}
