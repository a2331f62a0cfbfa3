import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The services integration suites can need. `prometheus`: the `prometheus` and `promtool` programs. */
export type RealService = 'postgres' | 'prometheus';

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The PostgreSQL server of integration tests: `STELLA_ORCH_TEST_PG_URL`, or the local one. */
export function postgresTestUrl(): string {
  const url = process.env['STELLA_ORCH_TEST_PG_URL'];
  return url === undefined || url === '' ? DEFAULT_POSTGRES_URL : url;
}

/** Whether unreachable services fail the tests (`STELLA_ORCH_REQUIRE_SERVICES=1`, set by CI). */
export function servicesRequired(): boolean {
  return process.env['STELLA_ORCH_REQUIRE_SERVICES'] === '1';
}

/** `url` without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Whether the PostgreSQL server at `url` answers a query within `timeoutMs`. */
export async function isPostgresReachable(url = postgresTestUrl(), timeoutMs = 3_000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The Prometheus programs of integration tests: `STELLA_ORCH_PROMETHEUS` / `STELLA_ORCH_PROMTOOL`, or
 * `prometheus` and `promtool` on the PATH.
 */
export function prometheusCommands(): { readonly prometheus: string; readonly promtool: string } {
  const or = (value: string | undefined, fallback: string) =>
    value === undefined || value === '' ? fallback : value;
  return {
    prometheus: or(process.env['STELLA_ORCH_PROMETHEUS'], 'prometheus'),
    promtool: or(process.env['STELLA_ORCH_PROMTOOL'], 'promtool'),
  };
}

/** Whether `prometheus --version` and `promtool --version` both run (Debian: the `prometheus` package). */
export function isPrometheusInstalled(): boolean {
  const { prometheus, promtool } = prometheusCommands();
  return [prometheus, promtool].every(
    (command) => spawnSync(command, ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0,
  );
}

/**
 * Decides whether a suite needing `services` runs. Reachable: `true`. Unreachable: with
 * `STELLA_ORCH_REQUIRE_SERVICES=1` it throws (the test file fails); otherwise it warns on the console,
 * naming the suite that is skipped and why, and returns `false` (use with `describe.skipIf`).
 *
 * @param services - what the suite needs
 * @param suite - the name of what would be skipped, for the message
 */
export async function requireServices(services: readonly RealService[], suite: string): Promise<boolean> {
  const missing: string[] = [];
  const hints: string[] = [];
  for (const service of services) {
    if (service === 'postgres' && !(await isPostgresReachable())) {
      missing.push(`PostgreSQL at ${redact(postgresTestUrl())} unreachable`);
      hints.push('set STELLA_ORCH_TEST_PG_URL');
    }
    if (service === 'prometheus' && !isPrometheusInstalled()) {
      const { prometheus, promtool } = prometheusCommands();
      missing.push(`Prometheus (${prometheus} and ${promtool}) not installed`);
      hints.push(
        "install Debian's prometheus package, or set STELLA_ORCH_PROMETHEUS and STELLA_ORCH_PROMTOOL",
      );
    }
  }
  if (missing.length === 0) return true;
  const what = missing.join(', ');
  if (servicesRequired()) {
    throw new Error(`${suite}: ${what}, and STELLA_ORCH_REQUIRE_SERVICES=1 makes that a failure`);
  }
  console.warn(
    `SKIPPED ${suite}: ${what} (${[...hints, 'or STELLA_ORCH_REQUIRE_SERVICES=1 to fail instead'].join(', ')})`,
  );
  return false;
}

/** A database made for one test file. */
export interface TestDatabase {
  /** Its name, `stella_orch_test_<random>`. */
  readonly name: string;
  /** A connection URL to it. */
  readonly url: string;
  /**
   * Drops it (forcing other sessions off). Kept instead when `STELLA_ORCH_KEEP_TEST_DATA=1`, for
   * debugging a failure; the name is printed then.
   */
  drop(): Promise<void>;
}

async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresTestUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates a uniquely named, empty database on the test server. Call `drop()` when done. */
export async function createTestDatabase(prefix = 'stella_orch_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`${name} is not a plain database name`);
  await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(postgresTestUrl());
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      if (process.env['STELLA_ORCH_KEEP_TEST_DATA'] === '1') {
        console.warn(`kept test database ${name} (STELLA_ORCH_KEEP_TEST_DATA=1)`);
        return;
      }
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
