import { trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { BackoffPolicy } from './backoff.js';
import type { AccessTokenSource, ClientCredentials } from './client-credentials.js';
import type { OrchestratorClientOptions } from './client-options.js';
import type { JobHandler } from './job-handler.js';
import { silentLogger, type Logger } from './logger.js';
import { OrchestratorClient } from './orchestrator-client.js';

/** The most jobs one `POST /leases` may ask for. */
export const MAX_LEASE_BATCH = 100;
/** The longest long-poll the server accepts. */
export const MAX_POLL_WAIT_MS = 30_000;

/** Settings of a worker other than where the orchestrator is. */
export interface WorkerSettings {
  /** The job types this worker processes (1–100). */
  readonly jobTypes: readonly string[];
  readonly handler: JobHandler;
  /** Most handlers running at once; 1 by default. */
  readonly concurrency?: number;
  /** `<hostname>-<pid>-<random>` by default. */
  readonly workerId?: string;
  /** Lease length asked for on leasing and on every heartbeat; 30,000 by default. */
  readonly leaseDurationMs?: number;
  /** Time between heartbeats of one job; a third of the lease by default. */
  readonly heartbeatIntervalMs?: number;
  /** Long-poll wait of each lease call (0–30,000); 25,000 by default. */
  readonly pollWaitMs?: number;
  /** Most jobs asked for in one lease call (never more than the free slots); `concurrency` by default. */
  readonly batchSize?: number;
  readonly logger?: Logger;
  /** How long completions are collected before one batched call; 2 by default. */
  readonly completionBatchWindowMs?: number;
  /** Back-off of the lease loop after repeated errors; 500 ms doubling up to 30 s by default. */
  readonly errorBackoff?: BackoffPolicy;
  /**
   * Pause after empty polls when `pollWaitMs` is 0, or after three empty answers in a row that came back
   * well before `pollWaitMs` (a server without long-poll); 1,000 by default.
   */
  readonly idlePollDelayMs?: number;
  /** How long `stop()` waits for handlers by default; 30,000. */
  readonly stopTimeoutMs?: number;
  /**
   * Where the `orch.job.run` span of each job goes: the application's registered (global) provider by
   * default, which is a no-op until the application registers one.
   */
  readonly tracerProvider?: TracerProvider;
}

/** A worker's client credentials: `scopes` default to `['orch:worker']`, all its calls need. */
export type WorkerCredentials = Omit<ClientCredentials, 'scopes'> & {
  readonly scopes?: ClientCredentials['scopes'];
};

/** Where a worker's orchestrator is and how it authenticates, when the worker builds its own client. */
export interface WorkerConnection {
  readonly url: string;
  readonly tenant?: string;
  /** Client credentials; tokens are fetched, cached and refreshed by the client. */
  readonly credentials?: WorkerCredentials;
  /** A bearer token (or a function giving the current one) instead of `credentials`. */
  readonly accessToken?: AccessTokenSource;
  readonly client?: never;
}

/** Settings of a worker: where the orchestrator is (`url`, `tenant`, `credentials`), or a ready `client`. */
export type WorkerOptions = WorkerSettings &
  (
    | WorkerConnection
    | {
        readonly client: OrchestratorClient;
        readonly url?: never;
        readonly tenant?: never;
        readonly credentials?: never;
        readonly accessToken?: never;
      }
  );

/** Worker settings with every default applied. */
export interface ResolvedWorkerOptions {
  readonly client: OrchestratorClient;
  readonly jobTypes: readonly string[];
  readonly handler: JobHandler;
  readonly concurrency: number;
  readonly workerId: string;
  readonly leaseDurationMs: number;
  readonly heartbeatIntervalMs: number;
  readonly pollWaitMs: number;
  readonly batchSize: number;
  readonly logger: Logger;
  readonly completionBatchWindowMs: number;
  readonly errorBackoff: BackoffPolicy;
  readonly idlePollDelayMs: number;
  readonly stopTimeoutMs: number;
  readonly tracer: Tracer;
}

/** The instrumentation scope of the worker's spans. */
export const TRACER_NAME = '@stella-orch/client';

/** A worker id unique enough for logs and lease records: `<hostname>-<pid>-<6 hex>`. */
export function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * Applies defaults and checks the settings.
 * @throws TypeError or RangeError naming the bad setting
 */
export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
  const client = options.client ?? new OrchestratorClient(clientOptions(options));
  const jobTypes: unknown = options.jobTypes;
  if (!isJobTypeList(jobTypes)) throw new TypeError('jobTypes must list 1 to 100 non-empty job types');
  if (typeof options.handler !== 'function') throw new TypeError('handler must be a function');
  const concurrency = options.concurrency ?? 1;
  const leaseDurationMs = options.leaseDurationMs ?? 30_000;
  const resolved: ResolvedWorkerOptions = {
    client,
    jobTypes: [...jobTypes],
    handler: options.handler,
    concurrency,
    workerId: options.workerId ?? defaultWorkerId(),
    leaseDurationMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? Math.floor(leaseDurationMs / 3),
    pollWaitMs: options.pollWaitMs ?? 25_000,
    batchSize: options.batchSize ?? Math.min(concurrency, MAX_LEASE_BATCH),
    logger: options.logger ?? silentLogger,
    completionBatchWindowMs: options.completionBatchWindowMs ?? 2,
    errorBackoff: options.errorBackoff ?? { initialDelayMs: 500, maxDelayMs: 30_000 },
    idlePollDelayMs: options.idlePollDelayMs ?? 1_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 30_000,
    tracer: (options.tracerProvider ?? trace.getTracerProvider()).getTracer(TRACER_NAME),
  };
  checkRange('concurrency', resolved.concurrency, 1, Number.MAX_SAFE_INTEGER);
  checkRange('leaseDurationMs', resolved.leaseDurationMs, 1, Number.MAX_SAFE_INTEGER);
  checkRange('heartbeatIntervalMs', resolved.heartbeatIntervalMs, 1, resolved.leaseDurationMs - 1);
  checkRange('pollWaitMs', resolved.pollWaitMs, 0, MAX_POLL_WAIT_MS);
  checkRange('batchSize', resolved.batchSize, 1, MAX_LEASE_BATCH);
  checkRange('completionBatchWindowMs', resolved.completionBatchWindowMs, 0, 60_000);
  checkRange('idlePollDelayMs', resolved.idlePollDelayMs, 0, 3_600_000);
  checkRange('stopTimeoutMs', resolved.stopTimeoutMs, 0, Number.MAX_SAFE_INTEGER);
  return resolved;
}

function clientOptions(options: WorkerOptions): OrchestratorClientOptions {
  if (typeof options.url !== 'string') throw new TypeError('a worker needs either url or client');
  const { credentials, accessToken, tenant } = options;
  return {
    baseUrl: options.url,
    ...(tenant === undefined ? {} : { tenant }),
    ...(credentials === undefined
      ? {}
      : { credentials: { ...credentials, scopes: credentials.scopes ?? ['orch:worker'] } }),
    ...(accessToken === undefined ? {} : { accessToken }),
  };
}

function isJobTypeList(value: unknown): value is readonly string[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.length <= 100 &&
    value.every((t: unknown) => typeof t === 'string' && t !== '')
  );
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
}
