import {
  noJobMetrics,
  type CircuitBreakerCount,
  noSloMetrics,
  type JobMetrics,
  type Logger,
  type QueueDepth,
  type SloMetrics,
} from '@stella-orch/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsConfig } from '../metrics-config.js';
import { LabelPolicy } from './label-policy.js';
import { LedgerGauges } from './ledger-gauges.js';
import { processMetricsRegistry } from './process-metrics.js';
import { PromJobMetrics } from './prom-job-metrics.js';
import { PromSloMetrics } from './prom-slo-metrics.js';

/** The transports of the event streams. */
export type StreamTransport = 'sse' | 'ws';

/**
 * The gauge of event-stream subscribers, for the stream routes: `inc` when a subscriber is connected,
 * `dec` exactly once when it goes (whatever the reason).
 */
export interface StreamSubscribers {
  inc(transport: StreamTransport): void;
  dec(transport: StreamTransport): void;
}

/** A limiter of the Authority that answered 429. */
export type RateLimiterName = 'api_client' | 'token_endpoint';

/**
 * Everything the server records for Prometheus, and the text of `GET /metrics`. With metrics turned off
 * every method records nothing ({@link disabledMetrics}).
 */
export interface OrchestratorMetrics {
  readonly enabled: boolean;
  /** The job lifecycle port, for the job service. */
  readonly jobs: JobMetrics;
  /** The SLO gauges, for the SLO evaluator. */
  readonly slos: SloMetrics;
  /** The stream subscribers gauge, for the event-stream routes. */
  readonly streamSubscribers: StreamSubscribers;
  /**
   * One HTTP request answered.
   * @param route - the route's pattern (`/api/v1/orchestrator/jobs/:jobId`), `undefined` when none matched
   */
  httpRequest(method: string, route: string | undefined, statusCode: number, seconds: number): void;
  /** A token request answered: granted (`error` null), or refused with its OAuth error code. */
  tokenRequest(error: string | null): void;
  /** A request refused 429 by one of the Authority's rate limiters. */
  rateLimited(limiter: RateLimiterName): void;
  /** The Prometheus text exposition of every metric, the process metrics included. */
  render(): Promise<string>;
  /** The content type of {@link OrchestratorMetrics.render}'s text. */
  readonly contentType: string;
}

/** HTTP durations: a fast API call to a long-poll lease call (up to 30 s). */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Metrics that record nothing, for `metrics.enabled: false`. */
export const disabledMetrics: OrchestratorMetrics = {
  enabled: false,
  jobs: noJobMetrics,
  slos: noSloMetrics,
  streamSubscribers: { inc: () => undefined, dec: () => undefined },
  httpRequest: () => undefined,
  tokenRequest: () => undefined,
  rateLimited: () => undefined,
  render: () => Promise.resolve(''),
  contentType: 'text/plain; version=0.0.4; charset=utf-8',
};

/**
 * Builds the metrics of one app on prom-client: a registry of its own (apps in one process do not
 * share counters) merged at exposition with the process metrics.
 */
export function createOrchestratorMetrics(
  config: MetricsConfig,
  deps: {
    readonly queueDepths: () => Promise<QueueDepth[]>;
    /** Every tenant's circuit breakers by state, for the `stella_orch_circuit_breakers` gauge. */
    readonly circuitBreakerCounts?: () => Promise<CircuitBreakerCount[]>;
    readonly logger: Logger;
  },
): OrchestratorMetrics {
  if (!config.enabled) return disabledMetrics;
  const registry = new Registry();
  const registers = [registry];
  const labels = new LabelPolicy(config);
  const jobs = new PromJobMetrics(registry, labels);
  const slos = new PromSloMetrics(registry, labels);
  new LedgerGauges(registry, labels, {
    queueDepths: deps.queueDepths,
    ...(deps.circuitBreakerCounts === undefined ? {} : { circuitBreakerCounts: deps.circuitBreakerCounts }),
    cacheMs: config.ledgerCacheMs,
    logger: deps.logger,
  });
  const http = new Histogram({
    name: 'stella_orch_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status class (its _count is the request count).',
    labelNames: ['method', 'route', 'status_class'],
    buckets: HTTP_BUCKETS,
    registers,
  });
  const tokens = new Counter({
    name: 'stella_orch_token_requests_total',
    help: 'Token requests at /connect/token: outcome granted or refused, with the OAuth error of a refusal.',
    labelNames: ['outcome', 'error'],
    registers,
  });
  const limited = new Counter({
    name: 'stella_orch_rate_limited_requests_total',
    help: 'Requests refused 429 by the Authority: per API client (api_client) or per address on /connect/token.',
    labelNames: ['limiter'],
    registers,
  });
  // Series made at 0, so that their first increment shows in rate() (the refusals' errors are made as they come).
  tokens.inc({ outcome: 'granted', error: 'none' }, 0);
  for (const limiter of ['api_client', 'token_endpoint'] satisfies RateLimiterName[])
    limited.inc({ limiter }, 0);
  const subscribers = new Gauge({
    name: 'stella_orch_stream_subscribers',
    help: 'Event-stream subscribers connected to this process, by transport.',
    labelNames: ['transport'],
    registers,
  });
  const exposed = Registry.merge([registry, processMetricsRegistry()]);
  return {
    enabled: true,
    jobs,
    slos,
    streamSubscribers: {
      inc: (transport) => {
        subscribers.inc({ transport });
      },
      dec: (transport) => {
        subscribers.dec({ transport });
      },
    },
    httpRequest: (method, route, statusCode, seconds) => {
      http.observe(
        {
          method: METHODS.has(method) ? method : 'other',
          route: route ?? 'unmatched',
          status_class: `${Math.floor(statusCode / 100)}xx`,
        },
        seconds,
      );
    },
    tokenRequest: (error) => {
      tokens.inc(error === null ? { outcome: 'granted', error: 'none' } : { outcome: 'refused', error });
    },
    rateLimited: (limiter) => {
      limited.inc({ limiter });
    },
    render: () => exposed.metrics(),
    contentType: exposed.contentType,
  };
}
