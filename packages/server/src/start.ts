import { openLedger } from '@stella-orch/store-postgres';
import { buildApp } from './app.js';
import type { OrchestratorConfig } from './config.js';
import { LeaseReaper } from './lease-reaper.js';

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
export async function startOrchestrator(config: OrchestratorConfig): Promise<RunningOrchestrator> {
  const ledger = await openLedger({
    ...(config.databaseUrl === null ? { dataDir: config.dataDir } : { databaseUrl: config.databaseUrl }),
    migrate: true,
  });
  const { app, jobs } = await buildApp({ store: ledger.store, audit: ledger.audit, config });
  const reaper = new LeaseReaper({ jobs, logger: app.log, intervalMs: config.reaperIntervalMs });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    await ledger.store.close();
    throw error;
  }
  reaper.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () => {
      closing ??= (async () => {
        await reaper.stop();
        await app.close();
        await ledger.store.close();
      })();
      return closing;
    },
  };
}
