import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  DEFAULT_AUDIT_CONFIG,
  DEFAULT_AUTHORITY_CONFIG,
  validateAuditConfig,
  validateAuthorityConfig,
  type AuditConfig,
  type AuthorityConfig,
} from './authority-config.js';
import { DEFAULT_BACKFILL_CONFIG, validateBackfillConfig, type BackfillConfig } from './backfill-config.js';
import { ConfigError } from './config-error.js';
import { DEFAULT_EVENTS_CONFIG, validateEventsConfig, type EventsConfig } from './events-config.js';
import { DEFAULT_FAIRNESS_CONFIG, validateFairnessConfig, type FairnessConfig } from './fairness-config.js';
import { DEFAULT_METRICS_CONFIG, validateMetricsConfig, type MetricsConfig } from './metrics-config.js';
import { DEFAULT_SLO_CONFIG, validateSloConfig, type SloConfig } from './slo-config.js';

export { ConfigError };

/** Everything the orchestrator process is configured with. */
export interface OrchestratorConfig {
  readonly host: string;
  readonly port: number;
  /** A PostgreSQL URL; `null` uses the embedded PGlite ledger in `dataDir`. */
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Largest accepted request body of a single-job call, and largest job payload. */
  readonly maxPayloadBytes: number;
  /** Largest accepted body of a batch call. */
  readonly maxBatchBodyBytes: number;
  /** The cap on `max` of one replay by filter (`POST /jobs/replay`): the most jobs one call may replay. */
  readonly maxReplayJobs: number;
  readonly defaultLeaseDurationMs: number;
  readonly maxLeaseWaitMs: number;
  readonly defaultMaxAttempts: number;
  readonly reaperIntervalMs: number;
  /**
   * The most connections to the PostgreSQL server at once (ignored for PGlite). Lease grants, completions
   * and reads wait for one when all are busy: with many workers, raise it (and PostgreSQL's
   * `max_connections` for every replica together).
   */
  readonly databasePoolSize: number;
  /** Between two evaluations of the circuit breakers of every tenant (decision 0016 §7). */
  readonly circuitEvaluationIntervalMs: number;
  readonly retry: {
    readonly initialDelayMs: number;
    readonly multiplier: number;
    readonly maxDelayMs: number;
    readonly jitter: number;
  };
  /** The token service, the clients and how tokens are checked (SPEC §3). */
  readonly authority: AuthorityConfig;
  /** Checkpoints and retention of the audit trail. */
  readonly audit: AuditConfig;
  /** Retention of the event log and the live event streams. */
  readonly events: EventsConfig;
  /** The Prometheus endpoint `GET /metrics` and the labels of its series. */
  readonly metrics: MetricsConfig;
  /** The SLO evaluator (burn rates and incident mode). */
  readonly slo: SloConfig;
  /** Backfills: the most jobs one may create, and the backfill lane's share of each limit. */
  readonly backfill: BackfillConfig;
  /** Fair leasing across tenants for pool workers: each tenant's weight. */
  readonly fairness: FairnessConfig;
}

/** The defaults: port 8080 on all interfaces, PGlite in `./.stella-orch/data`. */
export const DEFAULT_CONFIG: OrchestratorConfig = {
  host: '0.0.0.0',
  port: 8080,
  databaseUrl: null,
  dataDir: '.stella-orch/data',
  logLevel: 'info',
  maxPayloadBytes: 1_048_576,
  maxBatchBodyBytes: 16_777_216,
  maxReplayJobs: 10_000,
  defaultLeaseDurationMs: 30_000,
  maxLeaseWaitMs: 30_000,
  defaultMaxAttempts: 3,
  reaperIntervalMs: 1_000,
  databasePoolSize: 10,
  circuitEvaluationIntervalMs: 1_000,
  retry: { initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 300_000, jitter: 0.2 },
  authority: DEFAULT_AUTHORITY_CONFIG,
  audit: DEFAULT_AUDIT_CONFIG,
  events: DEFAULT_EVENTS_CONFIG,
  metrics: DEFAULT_METRICS_CONFIG,
  slo: DEFAULT_SLO_CONFIG,
  backfill: DEFAULT_BACKFILL_CONFIG,
  fairness: DEFAULT_FAIRNESS_CONFIG,
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Environment variables that override file keys. */
const ENV_OVERRIDES: readonly (readonly [string, string])[] = [
  ['HOST', 'host'],
  ['PORT', 'port'],
  ['DATABASE_URL', 'databaseUrl'],
  ['STELLA_ORCH_DATA_DIR', 'dataDir'],
  ['LOG_LEVEL', 'logLevel'],
  ['STELLA_ORCH_MAX_PAYLOAD_BYTES', 'maxPayloadBytes'],
];

type Raw = Record<string, unknown>;

/** The environment variable of `metrics.bearerToken` (it overrides the file's). */
export const METRICS_TOKEN_VARIABLE = 'STELLA_ORCH_METRICS_TOKEN';

/**
 * Reads the configuration: defaults, then the JSON file named by `configPath` or `STELLA_ORCH_CONFIG`,
 * then environment overrides (`PORT`, `HOST`, `DATABASE_URL`, `STELLA_ORCH_DATA_DIR`, `LOG_LEVEL`, …,
 * `STELLA_ORCH_METRICS_TOKEN` for `metrics.bearerToken`).
 *
 * @throws ConfigError naming the first bad key (unknown keys are refused too)
 */
export function loadConfig(options: {
  readonly configPath?: string;
  readonly env: NodeJS.ProcessEnv;
}): OrchestratorConfig {
  const path = options.configPath ?? options.env['STELLA_ORCH_CONFIG'];
  const fromFile = path === undefined || path === '' ? {} : readConfigFile(path);
  const merged: Raw = { ...(DEFAULT_CONFIG as unknown as Raw), ...fromFile };
  merged['retry'] = { ...DEFAULT_CONFIG.retry, ...(asObject(fromFile['retry'], 'retry') ?? {}) };
  for (const [variable, key] of ENV_OVERRIDES) {
    const value = options.env[variable];
    if (value === undefined || value === '') continue;
    merged[key] =
      typeof DEFAULT_CONFIG[key as keyof OrchestratorConfig] === 'number'
        ? parseNumber(variable, value)
        : value;
  }
  // The metrics endpoint's bearer token, kept out of the configuration file (a secret).
  const metricsToken = options.env[METRICS_TOKEN_VARIABLE];
  if (metricsToken !== undefined && metricsToken !== '') {
    merged['metrics'] = { ...asObject(fromFile['metrics'], 'metrics'), bearerToken: metricsToken };
  }
  return validateConfig(merged);
}

function readConfigFile(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (error) {
    throw new ConfigError('configFile', `cannot read ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('configFile', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  const object = asObject(value, 'configFile');
  if (object === undefined) throw new ConfigError('configFile', `${path} must hold a JSON object`);
  return object;
}

function asObject(value: unknown, key: string): Raw | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(key, 'must be an object');
  }
  return value as Raw;
}

function parseNumber(key: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value)) throw new ConfigError(key, `must be a number, got "${text}"`);
  return value;
}

function integer(raw: Raw, key: string, min: number, max: number, prefix = ''): number {
  const value = raw[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      prefix + key,
      `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function number(raw: Raw, key: string, min: number, max: number, prefix = ''): number {
  const value = raw[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(
      prefix + key,
      `must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function string(raw: Raw, key: string): string {
  const value = raw[key];
  if (typeof value !== 'string' || value === '') throw new ConfigError(key, 'must be a non-empty string');
  return value;
}

/** Checks a merged configuration object. @throws ConfigError */
export function validateConfig(raw: Raw): OrchestratorConfig {
  const known = new Set(Object.keys(DEFAULT_CONFIG));
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) throw new ConfigError(key, 'is not a configuration key');
  }
  const retryRaw = asObject(raw['retry'], 'retry') ?? {};
  const knownRetry = new Set(Object.keys(DEFAULT_CONFIG.retry));
  for (const key of Object.keys(retryRaw)) {
    if (!knownRetry.has(key)) throw new ConfigError(`retry.${key}`, 'is not a configuration key');
  }
  const logLevel = string(raw, 'logLevel');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const databaseUrl = raw['databaseUrl'];
  if (databaseUrl !== null && (typeof databaseUrl !== 'string' || !/^postgres(ql)?:\/\//.test(databaseUrl))) {
    throw new ConfigError(
      'databaseUrl',
      'must be a postgres:// or postgresql:// URL, or null for the embedded ledger',
    );
  }
  const retry = {
    initialDelayMs: integer(retryRaw, 'initialDelayMs', 0, 86_400_000, 'retry.'),
    multiplier: number(retryRaw, 'multiplier', 1, 100, 'retry.'),
    maxDelayMs: integer(retryRaw, 'maxDelayMs', 0, 86_400_000, 'retry.'),
    jitter: number(retryRaw, 'jitter', 0, 1, 'retry.'),
  };
  if (retry.maxDelayMs < retry.initialDelayMs)
    throw new ConfigError('retry.maxDelayMs', 'must be ≥ retry.initialDelayMs');
  return {
    host: string(raw, 'host'),
    port: integer(raw, 'port', 0, 65_535),
    databaseUrl: databaseUrl,
    dataDir: string(raw, 'dataDir'),
    logLevel: logLevel as OrchestratorConfig['logLevel'],
    maxPayloadBytes: integer(raw, 'maxPayloadBytes', 1_024, 268_435_456),
    maxBatchBodyBytes: integer(raw, 'maxBatchBodyBytes', 1_024, 1_073_741_824),
    maxReplayJobs: integer(raw, 'maxReplayJobs', 1, 100_000),
    defaultLeaseDurationMs: integer(raw, 'defaultLeaseDurationMs', 1_000, 3_600_000),
    maxLeaseWaitMs: integer(raw, 'maxLeaseWaitMs', 0, 30_000),
    defaultMaxAttempts: integer(raw, 'defaultMaxAttempts', 1, 100),
    reaperIntervalMs: integer(raw, 'reaperIntervalMs', 50, 60_000),
    databasePoolSize: integer(raw, 'databasePoolSize', 1, 1_000),
    circuitEvaluationIntervalMs: integer(raw, 'circuitEvaluationIntervalMs', 100, 60_000),
    retry,
    authority: validateAuthorityConfig(raw['authority']),
    audit: validateAuditConfig(raw['audit']),
    events: validateEventsConfig(raw['events']),
    metrics: validateMetricsConfig(raw['metrics']),
    slo: validateSloConfig(raw['slo']),
    backfill: validateBackfillConfig(raw['backfill']),
    fairness: validateFairnessConfig(raw['fairness']),
  };
}
