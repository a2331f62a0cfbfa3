import { openLedger } from '@stella-orch/store-postgres';
import { buildApp } from './app.js';
import { AuditCheckpointer } from './audit/audit-checkpointer.js';
import { AuditRetention } from './audit/audit-retention.js';
import { bootstrapClients, describeBootstrappedClients } from './authority/bootstrap-clients.js';
import type { OrchestratorConfig } from './config.js';
import { EventRetention } from './events/event-retention.js';
import { LeaseReaper } from './lease-reaper.js';
import { systemClock } from './system-ports.js';

/** A running orchestrator. */
export interface RunningOrchestrator {
  /** The base URL it listens on, such as `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Stops accepting requests, finishes those in flight, stops the reaper and closes the ledger. */
  close(): Promise<void>;
}

/**
 * The composition root: opens the ledger (PGlite in `dataDir`, or PostgreSQL at `databaseUrl`), applies
 * migrations, builds the app, starts the lease reaper and listens.
 */
export async function startOrchestrator(
  config: OrchestratorConfig,
  options: {
    /** Where the first start's development credentials are shown (standard output by default). */
    readonly print?: (text: string) => void;
  } = {},
): Promise<RunningOrchestrator> {
  const ledger = await openLedger({
    ...(config.databaseUrl === null ? { dataDir: config.dataDir } : { databaseUrl: config.databaseUrl }),
    migrate: true,
  });
  const { app, jobs, audit, authority } = await buildApp({
    store: ledger.store,
    audit: ledger.audit,
    clients: ledger.clients,
    keys: ledger.keys,
    events: ledger.events,
    config,
  });
  const reaper = new LeaseReaper({
    jobs,
    logger: app.log.child({ component: 'lease-reaper' }),
    intervalMs: config.reaperIntervalMs,
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
  let bootstrapped;
  try {
    await authority.issuer?.ensureKey();
    bootstrapped = await bootstrapClients(authority);
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    await ledger.store.close();
    throw error;
  }
  reaper.start();
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
        await retention?.stop();
        await eventRetention?.stop();
        await checkpointer?.stop();
        await app.close();
        await ledger.store.close();
      })();
      return closing;
    },
  };
}
