import type { TracerProvider } from '@opentelemetry/api';
import { openLedger } from '@stella-orch/store-postgres';
import { buildApp } from './app.js';
import { ConnectionDrain } from './connection-drain.js';
import { AuditCheckpointer } from './audit/audit-checkpointer.js';
import { AuditRetention } from './audit/audit-retention.js';
import { bootstrapClients, describeBootstrappedClients } from './authority/bootstrap-clients.js';
import type { OrchestratorConfig } from './config.js';
import { EventRetention } from './events/event-retention.js';
import { LeaseReaper } from './lease-reaper.js';
import { CircuitEvaluator } from './circuit-evaluator.js';
import { SloEvaluator } from './slo-evaluator.js';
import { systemClock } from './system-ports.js';
import { tracerProviderOf } from './tracing/env-tracer-provider.js';
import { tracingSettingsFromEnv } from './tracing/tracing-env.js';

/** A running orchestrator. */
export interface RunningOrchestrator {
  /** The base URL it listens on, such as `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Stops accepting requests, finishes those in flight, stops the reaper and closes the ledger. */
  close(): Promise<void>;
}

/**
 * The composition root: opens the ledger (PGlite in `dataDir`, or PostgreSQL at `databaseUrl`), applies
 * migrations, builds the app, starts the lease reaper and listens. Traces are exported when the standard
 * `OTEL_*` environment asks for it (`tracing/tracing-env.ts`), or to `options.tracerProvider`.
 *
 * @throws ConfigError for `OTEL_*` variables it cannot use
 */
export async function startOrchestrator(
  config: OrchestratorConfig,
  options: {
    /** Where the first start's development credentials are shown (standard output by default). */
    readonly print?: (text: string) => void;
    /** Where spans go, instead of what the environment asks for (the caller shuts it down). */
    readonly tracerProvider?: TracerProvider;
    /** The environment the `OTEL_*` variables are read from (`process.env` by default). */
    readonly env?: NodeJS.ProcessEnv;
  } = {},
): Promise<RunningOrchestrator> {
  const tracingSettings =
    options.tracerProvider === undefined ? tracingSettingsFromEnv(options.env ?? process.env) : null;
  // Made here, so shut down here (which flushes the spans still queued).
  const ownTracerProvider = tracingSettings === null ? undefined : tracerProviderOf(tracingSettings);
  const tracerProvider = options.tracerProvider ?? ownTracerProvider;
  const ledger = await openLedger({
    ...(config.databaseUrl === null ? { dataDir: config.dataDir } : { databaseUrl: config.databaseUrl }),
    maxConnections: config.databasePoolSize,
    migrate: true,
  });
  const { app, jobs, audit, slos, authority } = await buildApp({
    store: ledger.store,
    audit: ledger.audit,
    clients: ledger.clients,
    keys: ledger.keys,
    events: ledger.events,
    sources: ledger.sources,
    deadLetters: ledger.deadLetters,
    backfills: ledger.backfills,
    quotas: ledger.quotas,
    throttles: ledger.throttles,
    circuitBreakers: ledger.circuitBreakers,
    slos: ledger.slos,
    config,
    ...(tracerProvider === undefined ? {} : { tracerProvider }),
  });
  if (tracingSettings !== null) {
    app.log.info(
      {
        component: 'tracing',
        exporters: tracingSettings.exporters,
        sampler: tracingSettings.sampler.kind,
        serviceName: tracingSettings.serviceName,
        ...(tracingSettings.exporters.includes('otlp') ? { endpoint: tracingSettings.otlpUrl } : {}),
      },
      'exporting traces',
    );
  }
  const sloEvaluator =
    config.slo.evaluationIntervalMs === 0
      ? null
      : new SloEvaluator(
          { slos, logger: app.log.child({ component: 'slo-evaluator' }) },
          config.slo.evaluationIntervalMs,
        );
  const reaper = new LeaseReaper({
    jobs,
    logger: app.log.child({ component: 'lease-reaper' }),
    intervalMs: config.reaperIntervalMs,
  });
  const circuits = new CircuitEvaluator({
    store: ledger.store,
    logger: app.log.child({ component: 'circuit-evaluator' }),
    intervalMs: config.circuitEvaluationIntervalMs,
  });
  const listAuditTenants = () => ledger.audit.listAuditTenants();
  const checkpointer =
    config.audit.checkpointIntervalMs === 0
      ? null
      : new AuditCheckpointer({
          audit,
          listAuditTenants,
          logger: app.log.child({ component: 'audit-checkpointer' }),
          intervalMs: config.audit.checkpointIntervalMs,
        });
  const retention =
    config.audit.retention === null
      ? null
      : new AuditRetention(
          { audit, listAuditTenants, logger: app.log.child({ component: 'audit-retention' }) },
          config.audit.retention,
        );
  const eventRetention =
    config.events.retentionHours === 0
      ? null
      : new EventRetention(
          { log: ledger.events, clock: systemClock, logger: app.log.child({ component: 'event-retention' }) },
          config.events,
        );
  const drain = new ConnectionDrain(app.server);
  let bootstrapped;
  try {
    await authority.issuer?.ensureKey();
    bootstrapped = await bootstrapClients(authority);
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    await ledger.store.close();
    await ownTracerProvider?.shutdown();
    throw error;
  }
  reaper.start();
  circuits.start();
  sloEvaluator?.start();
  checkpointer?.start();
  retention?.start();
  eventRetention?.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (bootstrapped.length > 0) {
    (options.print ?? ((text) => process.stdout.write(`${text}\n`)))(
      describeBootstrappedClients(bootstrapped, url),
    );
  }
  let closing: Promise<void> | undefined;
  return {
    url,
    close: () => {
      closing ??= (async () => {
        await reaper.stop();
        await circuits.stop();
        await sloEvaluator?.stop();
        await retention?.stop();
        await eventRetention?.stop();
        await checkpointer?.stop();
        await drain.during(app.close());
        await ledger.store.close();
        await ownTracerProvider?.shutdown();
      })();
      return closing;
    },
  };
}
