// The two ledger engines of a scenario run: a fresh PostgreSQL database (created, then dropped) or a
// fresh PGlite data directory (created, then removed).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { onInterrupt, randomSuffix } from './util.mjs';

/** @typedef {'pg' | 'pglite'} EngineName */

/**
 * Where one scenario run keeps its ledger.
 * @typedef {object} EngineInstance
 * @property {EngineName} engine
 * @property {string} [databaseUrl] - the scenario's own PostgreSQL database (pg only)
 * @property {string} [databaseName]
 * @property {string} [dataDir] - the scenario's own PGlite data directory (pglite only)
 * @property {() => Promise<void>} dispose - drops the database / removes the directory
 */

/**
 * Creates the ledger location of one scenario run.
 * @param {EngineName} engine
 * @param {string} scenario - used in the database / directory name
 * @param {string} adminUrl - a PostgreSQL URL allowed to CREATE and DROP DATABASE (pg only)
 * @returns {Promise<EngineInstance>}
 */
export async function createEngine(engine, scenario, adminUrl) {
  if (engine === 'pglite') {
    const dataDir = await mkdtemp(join(tmpdir(), `stella-bench-${scenario}-`));
    return withCleanup({ engine, dataDir, dispose: () => rm(dataDir, { recursive: true, force: true }) });
  }
  const databaseName = `stella_bench_${scenario.replaceAll('-', '_')}_${randomSuffix()}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${databaseName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  return withCleanup({
    engine,
    databaseName,
    databaseUrl: url.toString(),
    dispose: async () => {
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    },
  });
}

/**
 * Also disposes of the instance when the benchmark is interrupted.
 * @param {EngineInstance} instance
 * @returns {EngineInstance}
 */
function withCleanup(instance) {
  const forget = onInterrupt(instance.dispose);
  return {
    ...instance,
    dispose: async () => {
      forget();
      await instance.dispose();
    },
  };
}

/**
 * The PostgreSQL server version, or an error message when it does not answer.
 * @param {string} adminUrl
 * @returns {Promise<{ ok: true, version: string } | { ok: false, error: string }>}
 */
export async function probePostgres(adminUrl) {
  try {
    const rows = await adminQuery(adminUrl, 'SHOW server_version');
    return { ok: true, version: String(rows[0]?.server_version) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * One statement on a short-lived connection.
 * @param {string} url
 * @param {string} sql
 * @param {unknown[]} [params]
 * @returns {Promise<Record<string, unknown>[]>}
 */
export async function adminQuery(url, sql, params = []) {
  const client = new pg.Client({ connectionString: url, application_name: 'stella-bench' });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}
