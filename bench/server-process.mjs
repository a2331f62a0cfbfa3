// Starts the orchestrator as a child process (`node packages/cli/dist/bin.js serve`) on a free port, waits
// until it is ready, and reports its peak resident memory (VmHWM) and CPU time when it is stopped.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_CLIENT, freePort, onInterrupt, sleep } from './util.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The CLI entry point; `STELLA_BENCH_SERVER_ENTRY` may name another script taking the same arguments. */
const SERVER_ENTRY = process.env['STELLA_BENCH_SERVER_ENTRY'] ?? join(ROOT, 'packages/cli/dist/bin.js');
/** Environment variables the server reads as overrides: the benchmark passes everything explicitly. */
const OVERRIDES = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'STELLA_ORCH_DATA_DIR',
  'STELLA_ORCH_CONFIG',
  'LOG_LEVEL',
  'STELLA_ORCH_MAX_PAYLOAD_BYTES',
  'STELLA_ORCH_METRICS_TOKEN',
];
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * A running orchestrator process.
 * @typedef {object} ServerProcess
 * @property {string} url - `http://127.0.0.1:<port>`
 * @property {number} pid
 * @property {string} logFile - the server's stdout and stderr
 * @property {() => number | null} peakRssMiB - VmHWM so far, in MiB
 * @property {() => number | null} cpuSeconds - user + system CPU time so far
 * @property {() => Promise<string>} metrics - `GET /metrics` (Prometheus text), with the server's metrics
 *   bearer token: each server gets a random one through `STELLA_ORCH_METRICS_TOKEN`, the secret's variable
 * @property {(options?: { keepLog?: boolean }) => Promise<{ peakRssMiB: number | null, cpuSeconds: number | null, exitCode: number | null }>} stop
 *   - SIGTERM, then SIGKILL after 15 s; the log is kept (and named on stderr) when asked or on a bad exit
 */

/**
 * Starts `stella-orch serve` on a free port against one engine instance.
 * @param {object} options
 * @param {{ databaseUrl?: string, dataDir?: string }} options.engine - where the ledger is
 * @param {Record<string, unknown>} [options.config] - extra configuration keys (JSON config file)
 * @param {string} [options.logLevel] - the server's log level (`info`, the server's default)
 * @param {string} [options.cpuProfDir] - write a V8 CPU profile of the server there (`--cpu-prof`)
 * @param {number} [options.readyTimeoutMs]
 * @returns {Promise<ServerProcess>}
 */
export async function startServer(options) {
  const port = await freePort();
  const workDir = await mkdtemp(join(tmpdir(), 'stella-bench-server-'));
  const configFile = join(workDir, 'orchestrator.json');
  const logFile = join(workDir, 'server.log');
  const config = {
    host: '127.0.0.1',
    logLevel: options.logLevel ?? 'info',
    authority: {
      bootstrapClients: false,
      clients: [{ ...BENCH_CLIENT, scopes: ['orch:read', 'orch:submit', 'orch:worker'], tenants: ['*'] }],
      rateLimit: { requestsPerSecond: 1_000_000, burst: 1_000_000 },
    },
    ...options.config,
  };
  await writeFile(configFile, JSON.stringify(config, null, 2));

  const args = [SERVER_ENTRY, 'serve', '--port', String(port), '--config', configFile];
  if (options.engine.databaseUrl !== undefined) args.push('--database-url', options.engine.databaseUrl);
  if (options.engine.dataDir !== undefined) args.push('--data-dir', options.engine.dataDir);
  const nodeFlags =
    options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`];
  const env = { ...process.env };
  for (const name of OVERRIDES) delete env[name];
  const metricsToken = randomBytes(24).toString('hex');
  env['STELLA_ORCH_METRICS_TOKEN'] = metricsToken;

  const logFd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeFlags, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const forget = onInterrupt(async () => {
    child.kill('SIGKILL');
  });
  // Never leave a server behind, even when the benchmark itself crashes.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  /** @type {number | null} */
  let exitCode = null;
  let exited = false;
  const exit = once(child, 'exit').then(([code, signal]) => {
    exited = true;
    exitCode = code ?? (signal === null ? null : -1);
    forget();
    process.off('exit', killOnExit);
  });
  const url = `http://127.0.0.1:${port}`;
  const pid = /** @type {number} */ (child.pid);

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      const tail = safeRead(logFile).slice(-2_000);
      await rm(workDir, { recursive: true, force: true });
      throw new Error(`the server exited (code ${exitCode}) before it was ready:\n${tail}`);
    }
    try {
      const res = await fetch(`${url}/readyz`);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `the server was not ready within ${options.readyTimeoutMs ?? 60_000} ms (log: ${logFile})`,
      );
    }
    await sleep(50);
  }

  const peakRssMiB = () => readPeakRssMiB(pid);
  const cpuSeconds = () => readCpuSeconds(pid);
  let stopping;
  return {
    url,
    pid,
    logFile,
    peakRssMiB,
    cpuSeconds,
    metrics: async () => {
      const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      const text = await res.text();
      if (!res.ok) throw new Error(`GET /metrics answered ${res.status}: ${text.slice(0, 500)}`);
      return text;
    },
    stop: (stopOptions = {}) => {
      stopping ??= (async () => {
        const peak = peakRssMiB();
        const cpu = cpuSeconds();
        if (!exited) {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exit;
          clearTimeout(killer);
        }
        if (exitCode !== 0 || stopOptions.keepLog === true) {
          process.stderr.write(`[bench] server log kept: ${logFile} (exit code ${exitCode})\n`);
        } else await rm(workDir, { recursive: true, force: true });
        return { peakRssMiB: peak, cpuSeconds: cpu, exitCode };
      })();
      return stopping;
    },
  };
}

/**
 * VmHWM (peak resident set) of a process, in MiB; null when it cannot be read.
 * @param {number} pid
 * @returns {number | null}
 */
export function readPeakRssMiB(pid) {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(safeRead(`/proc/${pid}/status`));
  return match === null ? null : Math.round((Number(match[1]) / 1024) * 10) / 10;
}

/**
 * User + system CPU seconds of a process; null when they cannot be read.
 * @param {number} pid
 * @returns {number | null}
 */
export function readCpuSeconds(pid) {
  const stat = safeRead(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command name start at field 3 (state); utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return Math.round(((utime + stime) / CLOCK_TICKS_PER_SECOND) * 10) / 10;
}

/**
 * @param {string} path
 * @returns {string}
 */
function safeRead(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
