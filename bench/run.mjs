// `npm run bench`: throughput, latency and memory figures of the orchestrator on PostgreSQL and PGlite.
// See bench/README.md for what each figure means.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { probePostgres } from './engines.mjs';
import { fmt, installInterruptCleanup, log, round } from './util.mjs';
import * as auditVerify from './scenarios/audit-verify.mjs';
import * as backlog from './scenarios/backlog.mjs';
import * as drain from './scenarios/drain.mjs';
import * as drainLimited from './scenarios/drain-limited.mjs';
import * as drainStreams from './scenarios/drain-streams.mjs';
import * as latency from './scenarios/latency.mjs';
import * as submitBatch from './scenarios/submit-batch.mjs';
import * as submitSingle from './scenarios/submit-single.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = [
  submitSingle,
  submitBatch,
  drain,
  latency,
  backlog,
  auditVerify,
  drainStreams,
  drainLimited,
];
const ENGINE_LABELS = { pg: 'PostgreSQL', pglite: 'PGlite' };

const USAGE = `npm run bench -- [options]

  --engine pg|pglite|both     engines to measure (both)
  --quick                     small sizes: a smoke run of a minute or two
  --scenario a,b              among ${SCENARIOS.map((s) => s.name).join(', ')} (all)
  --json-out PATH             where the JSON goes (bench/results/<timestamp>.json)
  --pg-url URL                PostgreSQL allowed to create databases (postgres://postgres@127.0.0.1:5432/postgres)
  --pglite-backlog N          largest backlog queued on PGlite (200000)
  --backlog-fill api|ledger   how the PostgreSQL backlog is queued (ledger: see bench/README.md)
  --log-level LEVEL           the server's log level (info, its default)
  --cpu-prof                  write V8 CPU profiles of the server to bench/results/profiles-<timestamp>/
  --processes N --workers N --concurrency N --batch-size N --completion-window-ms N --poll-wait-ms N
                              worker settings of drain and backlog (see bench/README.md for the defaults)
`;

/** @returns {Promise<void>} */
async function main() {
  const { values } = parseArgs({
    options: {
      engine: { type: 'string', default: 'both' },
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string' },
      'json-out': { type: 'string' },
      'pg-url': {
        type: 'string',
        default: process.env['BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      },
      'pglite-backlog': { type: 'string', default: '200000' },
      'backlog-fill': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'cpu-prof': { type: 'boolean', default: false },
      processes: { type: 'string' },
      workers: { type: 'string' },
      concurrency: { type: 'string' },
      'batch-size': { type: 'string' },
      'completion-window-ms': { type: 'string' },
      'poll-wait-ms': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const engines = values.engine === 'both' ? ['pg', 'pglite'] : [values.engine];
  if (!engines.every((e) => e === 'pg' || e === 'pglite'))
    throw new Error(`--engine must be pg, pglite or both`);
  const wanted = values.scenario?.split(',').map((s) => s.trim()) ?? SCENARIOS.map((s) => s.name);
  const unknown = wanted.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}\n\n${USAGE}`);
  const scenarios = SCENARIOS.filter((s) => wanted.includes(s.name));
  if (values['backlog-fill'] !== undefined && !['api', 'ledger'].includes(values['backlog-fill'])) {
    throw new Error('--backlog-fill must be api or ledger');
  }
  const stamp = new Date().toISOString().replaceAll(':', '-').replace(/\..*/, '');
  const jsonOut = resolve(values['json-out'] ?? join(HERE, 'results', `${stamp}.json`));
  const cpuProfDir = values['cpu-prof'] ? join(HERE, 'results', `profiles-${stamp}`) : undefined;
  /** @type {Record<string, number>} */
  const tuning = {};
  for (const [flag, key] of [
    ['processes', 'processes'],
    ['workers', 'workers'],
    ['concurrency', 'concurrency'],
    ['batch-size', 'batchSize'],
    ['completion-window-ms', 'completionBatchWindowMs'],
    ['poll-wait-ms', 'pollWaitMs'],
  ]) {
    const raw = /** @type {Record<string, unknown>} */ (values)[flag];
    if (typeof raw === 'string') tuning[key] = integerOption(flag, raw);
  }

  const adminUrl = values['pg-url'];
  /** @type {string | null} */
  let postgresVersion = null;
  if (engines.includes('pg')) {
    const probe = await probePostgres(adminUrl);
    if (!probe.ok)
      throw new Error(
        `PostgreSQL does not answer at ${redact(adminUrl)}: ${probe.error} (use --engine pglite)`,
      );
    postgresVersion = probe.version;
  }

  installInterruptCleanup();
  const startedAt = new Date();
  log(
    `engines ${engines.join(', ')}; scenarios ${scenarios.map((s) => s.name).join(', ')}${values.quick ? ' (quick)' : ''}`,
  );
  /** @type {object[]} */
  const results = [];
  let failures = 0;
  for (const engine of engines) {
    for (const scenario of scenarios) {
      log(`${scenario.name} on ${ENGINE_LABELS[engine]}: ${scenario.title}`);
      const t0 = Date.now();
      const loadBefore = round(loadavg()[0], 2);
      try {
        const result = await scenario.run({
          engine,
          quick: values.quick,
          adminUrl,
          logLevel: values['log-level'],
          cpuProfDir,
          pgliteBacklog: integerOption('pglite-backlog', values['pglite-backlog']),
          backlogFill: values['backlog-fill'],
          tuning,
        });
        const wallSeconds = round((Date.now() - t0) / 1000, 1);
        const loadAverage1m = { before: loadBefore, after: round(loadavg()[0], 2) };
        results.push({ scenario: scenario.name, engine, wallSeconds, loadAverage1m, ...result });
        log(
          `  ${result.figures.map((f) => `${f.label}: ${typeof f.value === 'number' ? fmt(f.value) : f.value}`).join('; ')}` +
            `; server peak RSS ${fmt(result.serverPeakRssMiB ?? Number.NaN)} MiB (${wallSeconds} s)`,
        );
      } catch (error) {
        failures++;
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log(`  FAILED: ${message}`);
        results.push({
          scenario: scenario.name,
          engine,
          error: message,
          wallSeconds: round((Date.now() - t0) / 1000, 1),
        });
      }
    }
  }
  const finishedAt = new Date();
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    wallSeconds: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
    quick: values.quick,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      postgres: postgresVersion,
    },
    code: codeVersion(),
    options: { engines, scenarios: scenarios.map((s) => s.name), logLevel: values['log-level'], tuning },
    results,
  };
  await mkdir(dirname(jsonOut), { recursive: true });
  await writeFile(jsonOut, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${table(results, engines)}\n`);
  process.stdout.write(`\nwall time ${fmt(report.wallSeconds, 1)} s; JSON: ${jsonOut}\n`);
  if (cpuProfDir !== undefined) process.stdout.write(`server CPU profiles: ${cpuProfDir}\n`);
  if (failures > 0) {
    process.stdout.write(`${failures} scenario run(s) failed; see the log above and the JSON.\n`);
    process.exitCode = 1;
  }
}

/**
 * The readable table: one row per figure, one column per engine.
 * @param {any[]} results
 * @param {string[]} engines
 * @returns {string}
 */
function table(results, engines) {
  /** @type {string[][]} */
  const rows = [
    ['scenario', 'figure', ...engines.map((e) => ENGINE_LABELS[/** @type {'pg'|'pglite'} */ (e)])],
  ];
  const scenarioNames = [...new Set(results.map((r) => r.scenario))];
  for (const name of scenarioNames) {
    const byEngine = new Map(results.filter((r) => r.scenario === name).map((r) => [r.engine, r]));
    const labels = [
      ...new Set(
        [...byEngine.values()].flatMap((r) =>
          (r.figures ?? []).map((/** @type {{ label: string }} */ f) => f.label),
        ),
      ),
    ];
    /** @type {[string, (r: any) => string][]} */
    const lines = labels.map((label) => [
      label,
      (r) => {
        if (r.error !== undefined) return 'FAILED';
        const figure = r.figures.find((/** @type {{ label: string }} */ f) => f.label === label);
        if (figure === undefined) return '';
        return typeof figure.value === 'number' ? fmt(figure.value) : String(figure.value);
      },
    ]);
    if (labels.length === 0) lines.push(['', (r) => (r.error !== undefined ? 'FAILED' : '')]);
    lines.push([
      'server peak RSS (MiB)',
      (r) => (r.error !== undefined ? '' : fmt(r.serverPeakRssMiB ?? Number.NaN)),
    ]);
    lines.forEach(([label, cell], i) => {
      rows.push([
        i === 0 ? name : '',
        label,
        ...engines.map((e) => (byEngine.has(e) ? cell(byEngine.get(e)) : 'not run')),
      ]);
    });
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const render = (/** @type {string[]} */ r) =>
    r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [render(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(render)].join(
    '\n',
  );
}

/**
 * The commit measured, and whether the packages had uncommitted changes (figures move with the code).
 * @returns {{ commit: string | null, packagesModified: boolean | null }}
 */
function codeVersion() {
  const git = (/** @type {string[]} */ ...args) =>
    execFileSync('git', args, {
      cwd: join(HERE, '..'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  try {
    return {
      commit: git('rev-parse', 'HEAD').trim(),
      packagesModified: git('status', '--porcelain', '--', 'packages').trim() !== '',
    };
  } catch {
    return { commit: null, packagesModified: null };
  }
}

/**
 * @param {string} name
 * @param {string} raw
 * @returns {number}
 */
function integerOption(name, raw) {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`--${name} must be a non-negative integer, got ${raw}`);
  return value;
}

/**
 * @param {string} url
 * @returns {string}
 */
function redact(url) {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
