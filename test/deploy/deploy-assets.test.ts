// The shipped operations assets (deploy/): the Prometheus rules and their unit tests, the Grafana dashboard
// and the README that explains them, checked three ways:
// 1. statically, always: the dashboard's structure, every metric name against the metrics source, every
//    alert against the README and the rules' unit tests;
// 2. with promtool: `check rules` and `test rules`;
// 3. for real: an orchestrator in this process (PGlite in a temporary directory) does some of everything,
//    a real Prometheus scrapes it every second and evaluates the rules, and every expression of the
//    dashboard and of the rules must return data.
// 2 and 3 need `prometheus` and `promtool` (Debian's prometheus package): without them they are skipped,
// saying so, or fail under STELLA_ORCH_REQUIRE_SERVICES=1 (CI).
import { OrchestratorApiError, OrchestratorClient, type LeaseGrant } from '@stella-orch/client';
import {
  DEFAULT_CONFIG,
  startOrchestrator,
  validateConfig,
  type RunningOrchestrator,
} from '@stella-orch/server';
import { prometheusCommands, requireServices } from '@stella-orch/testing';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../e2e/harness.js';
import { startPrometheus, type PrometheusProcess } from './prometheus-server.js';
import { operandsOf } from './promql-operands.js';

const ROOT = resolve(import.meta.dirname, '../..');
const RULES = join(ROOT, 'deploy/prometheus/stella-orch-rules.yml');
const RULE_TESTS = join(ROOT, 'deploy/prometheus/stella-orch-rules.test.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/stella-orch-dashboard.json');
const README = join(ROOT, 'deploy/README.md');
const METRICS_SOURCE = join(ROOT, 'packages/server/src/metrics');

/** What the dashboard's variables become in the queries the test sends. */
const VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  job: '.*',
  tenant: '.*',
  job_type: '.*',
};

interface Target {
  readonly expr: string;
  readonly refId: string;
  readonly datasource?: { readonly type: string; readonly uid: string };
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource?: { readonly type: string; readonly uid: string };
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}
interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: unknown;
  readonly definition?: string;
  readonly multi?: boolean;
  readonly includeAll?: boolean;
  readonly allValue?: string;
  readonly datasource?: { readonly uid: string };
}
interface Dashboard {
  readonly __inputs: readonly { name: string; type: string; pluginId: string }[];
  readonly schemaVersion: number;
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
  readonly annotations: { readonly list: readonly { expr?: string; datasource?: { uid: string } }[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const rulesText = readFileSync(RULES, 'utf8');
const ruleTestsText = readFileSync(RULE_TESTS, 'utf8');
const readme = readFileSync(README, 'utf8');

/** Every panel, those inside collapsed rows included. */
function allPanels(panels: readonly Panel[] = dashboard.panels): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** Every query of the dashboard's panels, with the panel it belongs to. */
function panelQueries(): { panel: string; expr: string }[] {
  return allPanels().flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: `${panel.title} (${target.refId})`, expr: target.expr })),
  );
}

/** `expr` with the dashboard's variables replaced by {@link VARIABLES}. */
function substitute(expr: string): string {
  const done = expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => VARIABLES[name] ?? whole);
  if (done.includes('$')) throw new Error(`unknown variable in ${expr}`);
  return done;
}

/** The `stella_orch_*` metric names a text uses (recording rules' `level:metric:operation` names excluded). */
function metricNamesIn(text: string): Set<string> {
  return new Set(text.match(/(?<![:\w])stella_orch_[a-z_]+(?![:\w])/g) ?? []);
}

/** The metrics the server defines (`name: 'stella_orch_…'` in packages/server/src/metrics). */
function definedMetrics(): Map<string, string> {
  const defined = new Map<string, string>();
  for (const file of readdirSync(METRICS_SOURCE)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    const text = readFileSync(join(METRICS_SOURCE, file), 'utf8');
    for (const match of text.matchAll(/new (Counter|Gauge|Histogram)\(\{\s*name: '(stella_orch_\w+)'/g)) {
      defined.set(match[2]!, match[1]!);
    }
  }
  return defined;
}

/** A used name as defined: a histogram's `_bucket`, `_count` and `_sum` series are the histogram. */
function baseName(name: string, defined: ReadonlyMap<string, string>): string {
  const base = name.replace(/_(bucket|count|sum)$/, '');
  return base !== name && defined.get(base) === 'Histogram' ? base : name;
}

const alertNames = [...rulesText.matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1]!);

describe('deploy/grafana/stella-orch-dashboard.json', () => {
  it('imports cleanly: a DS_PROMETHEUS input, schema 39, a datasource variable every query uses', () => {
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    ]);
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    const datasource = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(datasource).toMatchObject({ name: 'datasource', query: 'prometheus' });
    expect(JSON.stringify(datasource)).toContain('${DS_PROMETHEUS}');
    for (const panel of allPanels()) {
      if (panel.type === 'row') continue;
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(target.expr, panel.title).not.toBe('');
      }
    }
  });

  it('has job, tenant and job type variables (multi-value, with an "All" of .*)', () => {
    for (const name of ['job', 'tenant', 'job_type']) {
      const variable = dashboard.templating.list.find((v) => v.name === name);
      expect(variable, name).toMatchObject({ type: 'query', multi: true, includeAll: true, allValue: '.*' });
      expect(variable?.datasource?.uid, name).toBe('${datasource}');
      expect(variable?.definition, name).toMatch(/^label_values\(/);
    }
  });

  it('lays panels out on the 24-column grid without overlaps, with unique ids', () => {
    const panels = allPanels();
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Map<string, string>();
    for (const { title, gridPos } of panels) {
      expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          const other = cells.get(`${x},${y}`);
          expect(other, `${title} overlaps ${other ?? ''}`).toBeUndefined();
          cells.set(`${x},${y}`, title);
        }
      }
    }
  });

  it('shows every stella_orch_* metric the server defines, and no other', () => {
    const defined = definedMetrics();
    expect(defined.size).toBeGreaterThan(10);
    const used = new Set(
      [
        ...metricNamesIn(
          panelQueries()
            .map((q) => q.expr)
            .join('\n'),
        ),
      ].map((name) => baseName(name, defined)),
    );
    expect(
      [...used].filter((name) => !defined.has(name)),
      'used but not defined',
    ).toEqual([]);
    expect(
      [...defined.keys()].filter((name) => !used.has(name)),
      'defined but not shown',
    ).toEqual([]);
  });

  it('has the panels the operators asked for', () => {
    const exprs = panelQueries().map((q) => q.expr);
    const uses = (pattern: RegExp) => exprs.some((expr) => pattern.test(expr));
    expect(uses(/histogram_quantile\(.*stella_orch_job_queue_wait_seconds_bucket/)).toBe(true);
    expect(uses(/histogram_quantile\(.*stella_orch_job_run_duration_seconds_bucket/)).toBe(true);
    expect(uses(/histogram_quantile\(.*stella_orch_http_request_duration_seconds_bucket/)).toBe(true);
    for (const window of ['5m', '30m', '1h', '6h']) {
      expect(uses(new RegExp(`job_type:stella_orch_job_error_budget_burn_rate:rate${window}\\b`))).toBe(true);
    }
    for (const metric of ['process_resident_memory_bytes', 'process_cpu_seconds_total']) {
      expect(uses(new RegExp(metric))).toBe(true);
    }
  });
});

describe('deploy/prometheus/stella-orch-rules.yml (static)', () => {
  it('uses only metrics the server defines', () => {
    const defined = definedMetrics();
    const used = [...metricNamesIn(rulesText)].map((name) => baseName(name, defined));
    expect(used.filter((name) => !defined.has(name))).toEqual([]);
  });

  it('gives every alert a README section, the runbook link to it, and unit tests that fire and stay silent', () => {
    expect(alertNames.length).toBeGreaterThanOrEqual(10);
    // Each `alertname:` line of an alert_rule_test is followed by `exp_alerts: []` (silent) or `exp_alerts:`.
    const cases = new Map<string, { fires: number; silent: number }>();
    const lines = ruleTestsText.split('\n');
    lines.forEach((line, index) => {
      const name = /^\s*alertname: (\w+)\s*$/.exec(line)?.[1];
      if (name === undefined) return;
      const next = lines.slice(index + 1).find((l) => l.trim() !== '') ?? '';
      const counts = cases.get(name) ?? { fires: 0, silent: 0 };
      if (/^\s*exp_alerts: \[\]\s*$/.test(next)) counts.silent++;
      else if (/^\s*exp_alerts:\s*$/.test(next)) counts.fires++;
      else throw new Error(`alertname ${name} on line ${index + 1} is not followed by exp_alerts`);
      cases.set(name, counts);
    });
    for (const name of alertNames) {
      expect(cases.get(name)?.fires ?? 0, `${name}: a test where it fires`).toBeGreaterThan(0);
      expect(cases.get(name)?.silent ?? 0, `${name}: a test where it stays silent`).toBeGreaterThan(0);
      expect(readme, `${name}: a README section`).toMatch(new RegExp(`^### ${name}$`, 'm'));
      expect(rulesText, `${name}: its runbook link`).toContain(`deploy/README.md#${name.toLowerCase()}:`);
    }
    expect(
      [...cases.keys()].filter((name) => !alertNames.includes(name)),
      'tests of unknown alerts',
    ).toEqual([]);
  });
});

describe('operandsOf (how the alert expressions are checked for data)', () => {
  it('splits at set operators, drops their matching, parentheses, comparisons with literals and offsets', () => {
    expect(operandsOf('up{job="stella-orch"} == 0')).toEqual(['up{job="stella-orch"}']);
    expect(operandsOf('a:rate1h > 14.4 and a:rate5m > bool 14.4')).toEqual(['a:rate1h', 'a:rate5m']);
    expect(
      operandsOf(
        'max by(job, t) (g) > 0 unless on(job, t) (sum by(job, t) (increase(c{r=~"a|b) or (x"}[5m])) > 0) unless ignoring(i) (c unless c offset 5m)',
      ),
    ).toEqual(['max by(job, t) (g)', 'sum by(job, t) (increase(c{r=~"a|b) or (x"}[5m]))', 'c', 'c']);
    expect(operandsOf('(sum(rate(x[1m])) or vector(0)) / sum(rate(y[1m]))')).toEqual([
      '(sum(rate(x[1m])) or vector(0)) / sum(rate(y[1m]))',
    ]);
    expect(operandsOf('stella_orch_order_total > 1e3')).toEqual(['stella_orch_order_total']);
  });
});

const prometheusInstalled = await requireServices(
  ['prometheus'],
  'deployment assets with promtool and a real Prometheus (deploy/prometheus, deploy/grafana)',
);

describe.skipIf(!prometheusInstalled)('promtool', () => {
  function promtool(...args: string[]) {
    const result = spawnSync(prometheusCommands().promtool, args, { cwd: ROOT, encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  it('check rules accepts the rules file', () => {
    const { status, output } = promtool('check', 'rules', RULES);
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });

  it('test rules passes every unit test of the rules', () => {
    const { status, output } = promtool('test', 'rules', RULE_TESTS);
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });
});

/** What `GET /api/v1/rules` says of one rule. */
interface RuleState {
  readonly name: string;
  readonly query: string;
  readonly type: 'alerting' | 'recording';
  readonly health: string;
  readonly lastError?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly duration?: number;
}

const TENANT = 'acme';
const CLIENT = { clientId: 'deploy-test', clientSecret: 'deploy-test-secret-0123456789' } as const;
const METRICS_TOKEN = 'deploy-test-metrics-token-0123456789';

describe.skipIf(!prometheusInstalled)('a real Prometheus scraping a real orchestrator', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  let orchestrator: RunningOrchestrator;
  let prometheus: PrometheusProcess;
  let rules: (RuleState & { readonly lastEvaluation: string })[];

  beforeAll(async () => {
    const started = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'stella-deploy-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // Both start at once (PGlite's first start on disk takes seconds): the orchestrator on a port chosen
    // now, which Prometheus scrapes (up == 0 until it listens).
    const port = await freePort();
    const starting = startOrchestrator(
      validateConfig({
        ...DEFAULT_CONFIG,
        host: '127.0.0.1',
        port,
        dataDir: join(dir, 'ledger'),
        logLevel: 'warn',
        reaperIntervalMs: 100,
        // A failed attempt stays in back-off for the whole test (a held job with reason backoff).
        retry: { initialDelayMs: 600_000, multiplier: 2, maxDelayMs: 600_000, jitter: 0 },
        authority: {
          ...DEFAULT_CONFIG.authority,
          bootstrapClients: false,
          // Enough for the test's token requests; the burst of bad ones after them gets 429s.
          tokenRateLimit: { requestsPerSecond: 0.5, burst: 10 },
          clients: [
            {
              ...CLIENT,
              scopes: ['orch:read', 'orch:submit', 'orch:worker', 'orch:operate'],
              tenants: ['*'],
            },
          ],
        },
        metrics: { ...DEFAULT_CONFIG.metrics, bearerToken: METRICS_TOKEN, ledgerCacheMs: 0 },
        // The SLO of deploy.flaky is evaluated (burn-rate and incident gauges) every second.
        slo: { evaluationIntervalMs: 1_000 },
      }),
    );
    const scraping = startPrometheus({
      dir: join(dir, 'prometheus'),
      target: `127.0.0.1:${port}`,
      ruleFiles: [RULES],
      bearerToken: METRICS_TOKEN,
    });
    const [orchestratorStart, prometheusStart] = await Promise.allSettled([starting, scraping]);
    if (orchestratorStart.status === 'fulfilled') {
      orchestrator = orchestratorStart.value;
      cleanups.push(() => orchestrator.close());
    }
    if (prometheusStart.status === 'fulfilled') {
      prometheus = prometheusStart.value;
      cleanups.push(() => prometheus.stop());
    }
    if (orchestratorStart.status === 'rejected') throw orchestratorStart.reason;
    if (prometheusStart.status === 'rejected') throw prometheusStart.reason;
    await waitFor(
      async () => (await prometheus.query('up{job="stella-orch"} == 1')).length === 1,
      'Prometheus scraping the orchestrator (up == 1)',
    );
    const ready = Date.now();

    const scrapedAfter = async (time: number, what: string) => {
      await waitFor(async () => {
        const { activeTargets } = await prometheus.api<{
          activeTargets: { lastScrape: string; health: string; lastError: string }[];
        }>('targets');
        const target = activeTargets[0];
        if (target?.health !== 'up') throw new Error(`target unhealthy: ${target?.lastError ?? 'none'}`);
        return Date.parse(target.lastScrape) > time;
      }, what);
    };
    await generateActivity(
      orchestrator.url,
      async () => {
        await scrapedAfter(Date.now(), 'a scrape between the phases of the activity');
      },
      (cleanup) => cleanups.push(cleanup),
    );
    const activityDone = Date.now();

    // Three scrapes and a rule evaluation after the last of the activity.
    await scrapedAfter(activityDone + 2_500, 'three scrapes after the activity');
    await waitFor(async () => {
      rules = await loadRules();
      return rules.every((rule) => Date.parse(rule.lastEvaluation) > activityDone + 2_500);
    }, 'rule evaluations after those scrapes');
    console.info(
      `deploy assets: orchestrator and Prometheus up in ${ready - started} ms, ` +
        `activity ${activityDone - ready} ms, scrapes and evaluations ${Date.now() - activityDone} ms`,
    );
  }, 60_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  async function loadRules(): Promise<(RuleState & { lastEvaluation: string })[]> {
    const { groups } = await prometheus.api<{
      groups: { name: string; rules: (RuleState & { lastEvaluation: string })[] }[];
    }>('rules');
    return groups.flatMap((group) => group.rules);
  }

  async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${prometheus.log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('loads every rule of the file, each evaluating without error', () => {
    expect(rules.map((r) => r.name).filter((name) => alertNames.includes(name))).toEqual(alertNames);
    expect(rules.length).toBe([...rulesText.matchAll(/^\s*- (record|alert): /gm)].length);
    const unhealthy = rules.filter((r) => r.health !== 'ok' || (r.lastError ?? '') !== '');
    expect(unhealthy.map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
  });

  it('labels and annotates every alert: severity, summary, description, runbook', () => {
    for (const rule of rules.filter((r) => r.type === 'alerting')) {
      expect(['critical', 'warning'], rule.name).toContain(rule.labels?.['severity']);
      expect(rule.annotations?.['summary'], rule.name).toBeTruthy();
      expect(rule.annotations?.['description'], rule.name).toBeTruthy();
      expect(rule.annotations?.['runbook'], rule.name).toMatch(
        new RegExp(`^deploy/README\\.md#${rule.name.toLowerCase()}: .+`),
      );
    }
  });

  it('every recording rule produces series', async () => {
    const empty: string[] = [];
    for (const rule of rules.filter((r) => r.type === 'recording')) {
      if ((await prometheus.query(rule.name)).length === 0) empty.push(`${rule.name} = ${rule.query}`);
    }
    expect(empty).toEqual([]);
  });

  it('every operand of every alert expression returns data, and the whole expression evaluates', async () => {
    const empty: string[] = [];
    for (const rule of rules.filter((r) => r.type === 'alerting')) {
      await prometheus.query(rule.query); // rejects on an error; empty when all is well
      const operands = operandsOf(rule.query);
      expect(operands.length, rule.name).toBeGreaterThan(0);
      for (const operand of operands) {
        expect(operand, rule.name).toMatch(/stella_orch_|^up\{/);
        if ((await prometheus.query(operand)).length === 0) empty.push(`${rule.name}: ${operand}`);
      }
    }
    expect(empty).toEqual([]);
  });

  it('puts the alerts the activity calls for in pending state, and no others', async () => {
    const { alerts } = await prometheus.api<{
      alerts: { labels: Record<string, string>; state: string }[];
    }>('alerts');
    const active = alerts.map((a) => `${a.labels['alertname']!} ${a.labels['job_type'] ?? ''} ${a.state}`);
    // deploy.idle has ready jobs no worker ever leased; deploy.flaky's attempts all failed, which opened its
    // circuit breaker (an alert of the tenant: no job_type label).
    expect(active.sort()).toEqual([
      'StellaOrchCircuitOpen  pending',
      'StellaOrchJobFailureBudgetBurnFast deploy.flaky pending',
      'StellaOrchJobFailureBudgetBurnSlow deploy.flaky pending',
      'StellaOrchNoWorkers deploy.idle pending',
    ]);
  });

  it('every dashboard query returns data', async () => {
    const empty: string[] = [];
    for (const { panel, expr } of panelQueries()) {
      const result = await prometheus.query(substitute(expr));
      if (result.length === 0) empty.push(`${panel}: ${expr}`);
    }
    expect(empty).toEqual([]);
    // The alert annotation query is valid (it has data only while an alert fires).
    for (const annotation of dashboard.annotations.list) {
      if (annotation.expr !== undefined) await prometheus.query(substitute(annotation.expr));
    }
  });

  it("every dashboard variable's label_values query finds the activity's values", async () => {
    const expected: Record<string, readonly string[]> = {
      job: ['stella-orch'],
      tenant: [TENANT],
      job_type: ['deploy.ok', 'deploy.flaky', 'deploy.idle', 'deploy.slow', 'deploy.lapse'],
    };
    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
      const match = /^label_values\((.+),\s*(\w+)\)$/.exec(variable.definition ?? '');
      expect(match, variable.name).not.toBeNull();
      const values = await prometheus.api<string[]>(`label/${match![2]!}/values`, {
        'match[]': substitute(match![1]!),
      });
      expect(values, variable.name).toEqual(expect.arrayContaining([...(expected[variable.name] ?? ['?'])]));
    }
  });
});

/**
 * Makes every metric exist, through the HTTP API as producers, workers and operators use it: submissions
 * (one scheduled later), leases with heartbeats and progress, a success, a retryable failure (held in
 * back-off), a non-retryable one (a dead letter), a lease left to lapse (the reaper), a lease kept in
 * flight, a stale heartbeat (LEASE_LOST), a cancel and a replay, ready jobs nobody leases, a long-poll, an
 * event-stream subscriber, a refused token request and enough of them for a 429, and a circuit breaker on
 * the job type whose attempts all fail, opened by the server's evaluator after the last of them.
 *
 * In two phases, with a scrape between them (`betweenPhases`): a labelled counter series is born at its
 * first increment, which rate() and increase() cannot see, so the work the rules compute rates of (leases,
 * completions by outcome, heartbeats) happens again after that scrape, as it would in a running system.
 * The event stream stays open until the cleanup given to `onCleanup` runs.
 */
async function generateActivity(
  url: string,
  betweenPhases: () => Promise<void>,
  onCleanup: (cleanup: () => Promise<void>) => void,
): Promise<void> {
  const client = new OrchestratorClient({
    baseUrl: url,
    tenant: TENANT,
    credentials: { ...CLIENT, scopes: ['orch:read', 'orch:submit', 'orch:worker'] },
  });
  const operator = new OrchestratorClient({
    baseUrl: url,
    tenant: TENANT,
    credentials: {
      ...CLIENT,
      scopes: ['orch:read', 'orch:operate'],
      operatorReason: 'deploy assets test',
      operatorTicket: 'TEST-1',
    },
  });
  const lease = async (jobType: string, leaseDurationMs = 60_000): Promise<LeaseGrant> => {
    const [grant] = await client.leaseJobs({ workerId: 'deploy-test', jobTypes: [jobType], leaseDurationMs });
    if (grant === undefined) throw new Error(`nothing to lease of ${jobType}`);
    return grant;
  };

  // An event-stream subscriber (stella_orch_stream_subscribers{transport="sse"}) for the whole test.
  const token = await fetch(`${url}/connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      scope: 'orch:read',
      tenant: TENANT,
    }),
  });
  expect(token.status).toBe(200);
  const { access_token: accessToken } = (await token.json()) as { access_token: string };
  const abort = new AbortController();
  const stream = await fetch(`${url}/api/v1/orchestrator/events`, {
    headers: { authorization: `Bearer ${accessToken}`, accept: 'text/event-stream' },
    signal: abort.signal,
  });
  onCleanup(async () => {
    await stream.body?.cancel().catch(() => undefined);
    abort.abort();
  });
  expect(stream.status).toBe(200);

  // Phase 1: every series comes to exist. An SLO on deploy.flaky, whose attempts all fail: its burn-rate
  // gauges exist from the first evaluation, and its incident opens.
  await operator.createSlo({ name: 'deploy-flaky', objective: 0.99, jobType: 'deploy.flaky' });
  // A breaker on deploy.flaky that opens at its fourth failed attempt, the last lease of the type (phase 2),
  // and stays open for the rest of the test (stella_orch_circuit_breakers{state="open"}).
  const breaker = await operator.circuits.createBreaker({
    jobType: 'deploy.flaky',
    failureRatio: 1,
    minVolume: 4,
    windowSeconds: 600,
    coolDownSeconds: 86_400,
  });
  const jobTypes = ['deploy.ok', 'deploy.ok', 'deploy.slow', ...Array<string>(4).fill('deploy.flaky')];
  for (const jobType of jobTypes) {
    await client.submitJob({ jobType, payload: { n: 1 } });
  }
  const succeed = async () => {
    const grant = await lease('deploy.ok');
    await client.heartbeat(grant.leaseId, { fencingToken: grant.fencingToken });
    await client.reportProgress(grant.leaseId, { fencingToken: grant.fencingToken, progress: { step: 1 } });
    await client.completeJob(grant.leaseId, { fencingToken: grant.fencingToken, outcome: 'succeeded' });
    return grant.job.jobId;
  };
  const fail = async (retryable: boolean) => {
    const grant = await lease('deploy.flaky');
    const error = { type: 'deploy.test', message: 'failed on purpose', retryable };
    const result = await client.completeJob(grant.leaseId, {
      fencingToken: grant.fencingToken,
      outcome: 'failed',
      error,
    });
    expect(result.disposition).toBe(retryable ? 'retry_scheduled' : 'dead_lettered');
  };
  await client.submitJob({ jobType: 'deploy.lapse', maxAttempts: 3 });
  await client.submitJobs([{ jobType: 'deploy.idle' }, { jobType: 'deploy.idle' }]);
  await client.submitJob({ jobType: 'deploy.idle', notBefore: '2999-01-01T00:00:00Z' });
  const doomed = await client.submitJob({ jobType: 'deploy.idle' });
  await operator.cancelJob(doomed.jobId, { reason: 'not needed' });

  // A success, with a heartbeat and progress, replayed (origin replay: a ready job).
  await operator.replayJob(await succeed());
  // Failures: one retried (held in back-off), one dead-lettered.
  await fail(true);
  await fail(false);
  // In flight for the rest of the test; a heartbeat with a stale fencing token is refused.
  const held = await lease('deploy.slow');
  await client.heartbeats([{ leaseId: held.leaseId, fencingToken: held.fencingToken }]);
  const lost = await client.heartbeat(held.leaseId, { fencingToken: held.fencingToken + 1 }).then(
    () => null,
    (error: unknown) => error,
  );
  expect(lost).toBeInstanceOf(OrchestratorApiError);
  expect((lost as OrchestratorApiError).code).toBe('LEASE_LOST');
  // A lease left to lapse: the reaper ends the attempt.
  const lapsing = await lease('deploy.lapse', 1_000);
  const deadline = Date.now() + 10_000;
  while ((await client.getJob(lapsing.job.jobId)).status === 'leased') {
    if (Date.now() > deadline) throw new Error('the lease reaper did not end the lapsed lease');
    await new Promise((r) => setTimeout(r, 100));
  }
  // A long-poll that finds nothing.
  expect(await client.leaseJobs({ workerId: 'deploy-test', jobTypes: ['deploy.none'], waitMs: 200 })).toEqual(
    [],
  );

  // Phase 2, after a scrape: more of what the rules take rates of. deploy.flaky keeps failing (every
  // attempt: its burn-rate alerts go pending), deploy.ok keeps succeeding, deploy.slow's worker is alive.
  await betweenPhases();
  await succeed();
  await fail(true);
  await fail(false);
  // The evaluator (every second) opens the breaker: 4 failed of 4 attempts.
  const opensBy = Date.now() + 10_000;
  while ((await operator.circuits.getBreaker(breaker.breakerId)).state !== 'open') {
    if (Date.now() > opensBy) throw new Error('the circuit breaker of deploy.flaky did not open');
    await new Promise((r) => setTimeout(r, 100));
  }
  await client.heartbeat(held.leaseId, { fencingToken: held.fencingToken });
  await client.heartbeats([{ leaseId: held.leaseId, fencingToken: held.fencingToken }]);

  // A refused token request, then more until the per-address limit answers 429 (slow_down).
  const form = {
    grant_type: 'client_credentials',
    client_id: 'nobody',
    client_secret: 'not-a-secret-at-all',
  };
  let tooMany = false;
  for (let i = 0; i < 50 && !tooMany; i++) {
    const res = await fetch(`${url}/connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    await res.arrayBuffer();
    tooMany = res.status === 429;
  }
  expect(tooMany).toBe(true);
}
