import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import {
  AuditService,
  DeadLetterService,
  JobService,
  SloService,
  sourceRegistryPauser,
  OrchestratorError,
  requireOperatorMetadata,
  requireScope,
  type AuditTrail,
  type ClientRegistry,
  type Clock,
  type EventLog,
  type Ids,
  type JobServiceOptions,
  type JobStore,
  type Logger,
  type Scope,
  type SecretHasher,
  type SigningKeyStore,
  type SloStore,
  type SourcePauser,
  type SourceStore,
  type DeadLetterStore,
  type BackfillStore,
  type QuotaStore,
  type ThrottleStore,
  type CircuitBreakerStore,
} from '@stella-orch/core';
import type { TracerProvider } from '@opentelemetry/api';
import Fastify, { type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import type { OrchestratorConfig } from './config.js';
import { EventHub } from './events/event-hub.js';
import { LeaseWaiter } from './lease-waiter.js';
import { bindRequestLog, loggerOptions, requestChildLoggerFor } from './logging.js';
import { createOrchestratorMetrics, type OrchestratorMetrics } from './metrics/orchestrator-metrics.js';
import { registerMetricsRoutes } from './metrics/metrics-routes.js';
import { problemFor, sendProblem, toProblem } from './problem.js';
import { Ed25519AuditSigner } from './audit/ed25519-audit-signer.js';
import { buildAuthority, type Authority } from './authority/authority.js';
import { bearerTokenOf, resolveRequestContext } from './request-context.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerBackfillRoutes } from './routes/backfills.js';
import { registerClientRoutes } from './routes/clients.js';
import { registerDagRoutes } from './routes/dag.js';
import { registerJobWhyRoutes } from './routes/job-why.js';
import { registerEventRoutes } from './routes/events.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerLeaseRoutes } from './routes/leases.js';
import { registerDeadLetterRoutes } from './routes/dead-letters.js';
import { registerQuotaRoutes } from './routes/quotas.js';
import { registerThrottleRoutes } from './routes/throttles.js';
import { registerCircuitBreakerRoutes } from './routes/circuit-breakers.js';
import { registerRunRoutes } from './routes/runs.js';
import { registerSloRoutes } from './routes/slos.js';
import { registerSourceRoutes } from './routes/sources.js';
import { registerAuthorityRoutes } from './routes/token.js';
import { SHARED_SCHEMAS } from './schemas.js';
import { scopeOfRoute } from './scope-map.js';
import { systemClock, systemIds } from './system-ports.js';
import { RequestTracing } from './tracing/request-tracing.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope each method of the route requires; `null` for a public route (see scope-map.ts). */
    scopes?: Readonly<Record<string, Scope | null>>;
  }
}

/** The API's base path (SPEC §4). */
export const API_PREFIX = '/api/v1/orchestrator';

/** What the HTTP app is built from. */
export interface AppDeps {
  readonly store: JobStore;
  /** The operator audit trail (on the same ledger as `store`). */
  readonly audit: AuditTrail;
  readonly config: OrchestratorConfig;
  /** The ledger's client registry and signing keys (the Authority's storage). */
  readonly clients: ClientRegistry;
  readonly keys: SigningKeyStore;
  /** The event log the ledger's statements append to (the streams read it). */
  readonly events: EventLog;
  /** The SLOs and incidents (on the same ledger as `store`: incident events go to its event log). */
  readonly slos: SloStore;
  /**
   * Pauses a source when an incident of an SLO with `pauseSourceOnIncident` opens; by default an audited
   * pause of the registered source ({@link sourceRegistryPauser}).
   */
  readonly sourcePauser?: SourcePauser;
  /** The registered sources (on the same ledger as `store`: submits check them in their transaction). */
  readonly sources: SourceStore;
  /** Dead-letter operations and replay by filter (on the same ledger as `store`). */
  readonly deadLetters: DeadLetterStore;
  /** Backfills and watermarks (on the same ledger as `store`: a backfill's jobs are created with it). */
  readonly backfills: BackfillStore;
  /** The quotas (on the same ledger as `store`: the lease grant reads them). */
  readonly quotas: QuotaStore;
  /** The throttles (on the same ledger as `store`: the lease grant reads them). */
  readonly throttles: ThrottleStore;
  /** The circuit breakers (on the same ledger as `store`: the lease grant reads them). */
  readonly circuitBreakers: CircuitBreakerStore;
  /** The client-secret hasher; scrypt at production cost by default (tests make it cheaper). */
  readonly secrets?: SecretHasher;
  readonly ids?: Ids;
  readonly clock?: Clock;
  /** Pino logger options or `false`; defaults to the config's log level. */
  readonly logger?: boolean | { level: string };
  /** Where log lines go (standard output by default). */
  readonly logStream?: DestinationStream;
  /** How often a waiting lease call looks again without a wake-up. */
  readonly leasePollIntervalMs?: number;
  /**
   * Where the server's spans go (docs/operations.md#tracing); without it no span is made and only a
   * request's own `traceparent` is passed on. The caller owns it (and shuts it down).
   */
  readonly tracerProvider?: TracerProvider;
}

/** The HTTP app and the services it was built around. */
export interface OrchestratorApp {
  readonly app: FastifyInstance;
  readonly jobs: JobService;
  readonly audit: AuditService;
  /** SLOs, burn rates and incident mode (the evaluator runs `slos.evaluateAll`). */
  readonly slos: SloService;
  readonly waiter: LeaseWaiter;
  readonly authority: Authority;
  /** The live event streams. */
  readonly events: EventHub;
  /** The Prometheus metrics (`streamSubscribers` is the stream routes' hook). */
  readonly metrics: OrchestratorMetrics;
}

/**
 * Builds the Fastify app: schemas, the request-context hook, the routes and problem+json errors.
 * Listening is the caller's business (tests use `app.inject`).
 */
export async function buildApp(deps: AppDeps): Promise<OrchestratorApp> {
  const { config, store } = deps;
  const ids = deps.ids ?? systemIds;
  const tracing = new RequestTracing(deps.tracerProvider);
  const app = Fastify({
    logger:
      deps.logger === false
        ? false
        : loggerOptions(
            typeof deps.logger === 'object' ? deps.logger.level : config.logLevel,
            deps.logStream,
          ),
    childLoggerFactory: requestChildLoggerFor(tracing),
    bodyLimit: config.maxPayloadBytes + 64 * 1024,
    genReqId: () => ids.uuid(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
    return503OnClosing: true,
  });
  // Every request's server span ends with its answer (and its route, status and tenant).
  if (tracing.enabled) {
    app.addHook('onResponse', (request, reply, done) => {
      tracing.end(request, reply.statusCode);
      done();
    });
  }
  const metrics = createOrchestratorMetrics(config.metrics, {
    queueDepths: () => store.queueDepths(),
    circuitBreakerCounts: () => deps.circuitBreakers.breakerCounts(),
    logger: app.log.child({ component: 'metrics' }),
  });
  registerMetricsRoutes(app, { metrics, bearerToken: config.metrics.bearerToken });
  const serviceOptions: Partial<JobServiceOptions> = {
    defaultLeaseDurationMs: config.defaultLeaseDurationMs,
    defaultMaxAttempts: config.defaultMaxAttempts,
    retryPolicy: config.retry,
    maxPayloadBytes: config.maxPayloadBytes,
    backfillLaneShare: config.backfill.laneShare,
    tenantWeights: config.fairness.tenantWeights,
  };
  const jobs = new JobService({ store, ids, metrics: metrics.jobs }, serviceOptions);
  const deadLetters = new DeadLetterService(
    { store: deps.deadLetters, ids, metrics: metrics.jobs },
    { maxReplayJobs: config.maxReplayJobs },
  );
  const clock = deps.clock ?? systemClock;
  const audit = new AuditService({
    trail: deps.audit,
    signer: new Ed25519AuditSigner({ keys: deps.keys, clock }),
    clock,
    ids,
  });
  const slos = new SloService({
    store: deps.slos,
    ids,
    metrics: metrics.slos,
    logger: app.log.child({ component: 'slo-evaluator' }),
    pauser: deps.sourcePauser ?? sourceRegistryPauser(deps.sources),
  });
  const stopHoldMetrics = store.onLimitHolds((tenantId, holds) => {
    metrics.jobs.limitHolds(tenantId, holds);
  });
  const waiter = new LeaseWaiter(store);
  const events = new EventHub(
    {
      log: deps.events,
      logger: app.log.child({ component: 'event-streams' }),
      onWake: (listener) => store.onJobsReady(listener),
    },
    config.events,
  );
  const authority = await buildAuthority({
    config: config.authority,
    registry: deps.clients,
    keys: deps.keys,
    audit: deps.audit,
    ids,
    clock,
    ...(deps.secrets === undefined ? {} : { secrets: deps.secrets }),
  });
  // Release long-polling lease calls before the server waits for in-flight requests to end.
  app.addHook('preClose', (done) => {
    waiter.close();
    stopHoldMetrics();
    done();
  });
  // End the event streams with a resync message before the sockets close.
  app.addHook('preClose', async () => {
    await events.close();
  });
  await app.register(websocket, { options: { maxPayload: 65_536 } });

  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Stella Orchestrator API',
        version: '1.0.0',
        description:
          'Jobs, leases, runs, dead-letter entries and the operator audit trail of the Stella Orchestrator control plane.',
      },
      servers: [{ url: '/' }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`,
    },
  });

  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(request, error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      problemFor(
        request,
        'ROUTE_NOT_FOUND',
        `no endpoint ${request.method} ${request.url.split('?')[0] ?? ''}`,
      ),
    ),
  );

  app.get('/healthz', { schema: { hide: true } }, () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async () => {
    await store.checkReady();
    return { status: 'ready' };
  });
  app.get('/.well-known/openapi', { schema: { hide: true } }, () => app.swagger());
  registerAuthorityRoutes(app, { authority, metrics });

  await app.register(
    (api, _options, done) => {
      // Every route's scope comes from one table (scope-map.ts); a route missing there fails the start.
      api.addHook('onRoute', (route) => {
        const path = route.url.slice(API_PREFIX.length);
        const methods = Array.isArray(route.method) ? route.method : [route.method];
        const scopes: Record<string, Scope | null> = {};
        for (const method of methods) scopes[method] = scopeOfRoute(method, path);
        route.config = { ...route.config, scopes };
      });
      // The one seam of identity: every API route runs behind this hook, and no route reads identity itself.
      api.decorateRequest('orchestratorContext', null);
      api.addHook('onRequest', async (request, reply) => {
        const scope = request.routeOptions.config.scopes?.[request.method];
        if (scope === null) return;
        const token = await authority.verifier.verify(bearerTokenOf(request));
        const limit = authority.apiLimiter.take(token.clientId);
        void reply.headers({
          'ratelimit-limit': String(config.authority.rateLimit.burst),
          'ratelimit-remaining': String(limit.remaining),
          'ratelimit-reset': String(limit.resetSeconds),
        });
        if (!limit.allowed) {
          metrics.rateLimited('api_client');
          throw new OrchestratorError('RATE_LIMITED', `client ${token.clientId} is over its request rate`, {
            details: { retryAfterSeconds: limit.retryAfterSeconds },
          });
        }
        const routeUrl = request.routeOptions.url;
        const ctx = resolveRequestContext(
          request,
          token,
          routeUrl === undefined ? undefined : routeUrl.slice(API_PREFIX.length),
        );
        request.orchestratorContext = ctx;
        bindRequestLog(request, ctx);
        // An unknown path (no scope) answers 404 to an authenticated caller; one without a token got 401.
        if (scope !== undefined) {
          requireScope(ctx, scope);
          requireOperatorMetadata(ctx, scope);
        }
      });
      // A POST without a body (a bare `curl -X POST …/cancel`) is validated as an empty object.
      api.addHook('preValidation', (request, _reply, next) => {
        if (request.method === 'POST' && request.body === undefined) request.body = {};
        next();
      });
      api.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
      registerJobRoutes(api, { jobs, store, maxBatchBodyBytes: config.maxBatchBodyBytes });
      registerLeaseRoutes(api, {
        jobs,
        waiter,
        tracing,
        maxLeaseWaitMs: config.maxLeaseWaitMs,
        leasePollIntervalMs: deps.leasePollIntervalMs ?? 1_000,
      });
      registerRunRoutes(api, { store, ids });
      registerDagRoutes(api, { store });
      registerJobWhyRoutes(api, { store, backfillLaneShare: config.backfill.laneShare });
      registerDeadLetterRoutes(api, { deadLetters, store });
      registerSourceRoutes(api, { sources: deps.sources });
      registerQuotaRoutes(api, { quotas: deps.quotas });
      registerThrottleRoutes(api, { throttles: deps.throttles });
      registerCircuitBreakerRoutes(api, { circuitBreakers: deps.circuitBreakers });
      registerBackfillRoutes(api, {
        backfills: deps.backfills,
        maxJobs: config.backfill.maxJobs,
        defaultMaxAttempts: config.defaultMaxAttempts,
      });
      registerAuditRoutes(api, { audit });
      registerSloRoutes(api, { slos });
      registerClientRoutes(api, { authority });
      registerEventRoutes(api, { hub: events, store, subscribers: metrics.streamSubscribers });
      done();
    },
    { prefix: API_PREFIX },
  );
  return { app, jobs, audit, slos, waiter, authority, metrics, events };
}

export type { Logger };
