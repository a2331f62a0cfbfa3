import pg from 'pg';
import { silentLogger, type Logger } from '@stella-orch/core';
import { classifyDriverError } from './sql-errors.js';
import type { DriverCapabilities, SqlDriver, SqlExecutor } from './sql-driver.js';

/** A PostgreSQL server: many sessions, shared with other processes. */
const POSTGRES_CAPABILITIES: DriverCapabilities = {
  engine: 'postgres',
  sharedAcrossProcesses: true,
  concurrentSessions: true,
};

/** How long the LISTEN session waits before reconnecting after it was lost. */
const LISTEN_RECONNECT_DELAY_MS = 1_000;

/** Settings of a {@link PostgresDriver}. */
export interface PostgresDriverOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly databaseUrl: string;
  /** Sessions in the pool (default 10). */
  readonly maxConnections?: number;
  readonly logger?: Logger;
}

function executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    async query<R>(text: string, params: readonly unknown[] = []): Promise<R[]> {
      try {
        const result = await client.query<pg.QueryResultRow>(text, [...params]);
        return result.rows as R[];
      } catch (error) {
        throw classifyDriverError(error, 'postgres');
      }
    },
    async exec(script: string): Promise<void> {
      // Without parameters `pg` uses the simple protocol, which accepts several statements.
      try {
        await client.query(script);
      } catch (error) {
        throw classifyDriverError(error, 'postgres');
      }
    },
  };
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A PostgreSQL server through a `pg` pool, with one dedicated session for LISTEN. */
export class PostgresDriver implements SqlDriver {
  readonly capabilities = POSTGRES_CAPABILITIES;
  readonly #options: PostgresDriverOptions;
  readonly #pool: pg.Pool;
  readonly #executor: SqlExecutor;
  readonly #logger: Logger;
  readonly #channels = new Map<string, Set<(payload: string) => void>>();
  #listener: Promise<pg.Client> | null = null;
  #listenerClient: pg.Client | null = null;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #closed = false;

  /** Creates the pool; sessions are opened on first use. */
  constructor(options: PostgresDriverOptions) {
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'postgres-driver' });
    this.#pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.maxConnections ?? 10,
      application_name: 'stella-orch',
    });
    // An idle session that dies (server restart) must not crash the process; the next query reconnects.
    this.#pool.on('error', (error) => {
      this.#logger.warn({ err: error.message }, 'idle PostgreSQL session lost');
    });
    this.#executor = executor(this.#pool);
  }

  /** @inheritdoc */
  query<R>(text: string, params?: readonly unknown[]): Promise<R[]> {
    return this.#executor.query<R>(text, params);
  }

  /** @inheritdoc */
  exec(script: string): Promise<void> {
    return this.#executor.exec(script);
  }

  /** @inheritdoc */
  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw classifyDriverError(error, 'postgres');
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(executor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The session is unusable; drop it from the pool instead of handing it out again.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw classifyDriverError(error, 'postgres');
    } finally {
      client.release(broken);
    }
  }

  /** @inheritdoc */
  async listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> {
    let callbacks = this.#channels.get(channel);
    const first = callbacks === undefined;
    if (callbacks === undefined) {
      callbacks = new Set();
      this.#channels.set(channel, callbacks);
    }
    callbacks.add(callback);
    try {
      const client = await this.#listenSession();
      if (first) await client.query(`LISTEN ${quoteIdentifier(channel)}`);
    } catch (error) {
      callbacks.delete(callback);
      if (callbacks.size === 0) this.#channels.delete(channel);
      throw classifyDriverError(error, 'postgres');
    }
    return async () => {
      const current = this.#channels.get(channel);
      if (current === undefined || !current.delete(callback) || current.size > 0) return;
      this.#channels.delete(channel);
      if (this.#closed || this.#listener === null) return;
      try {
        await (await this.#listener).query(`UNLISTEN ${quoteIdentifier(channel)}`);
      } catch (error) {
        this.#logger.warn({ err: String(error), channel }, 'UNLISTEN failed');
      }
    };
  }

  #listenSession(): Promise<pg.Client> {
    this.#listener ??= this.#connectListener();
    return this.#listener;
  }

  async #connectListener(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.#options.databaseUrl,
      application_name: 'stella-orch-listen',
    });
    this.#listenerClient = client;
    client.on('notification', (message) => {
      for (const callback of this.#channels.get(message.channel) ?? []) callback(message.payload ?? '');
    });
    client.on('error', (error) => {
      this.#logger.warn({ err: error.message }, 'LISTEN session lost');
      this.#dropListener(client);
    });
    client.on('end', () => {
      this.#dropListener(client);
    });
    try {
      await client.connect();
      return client;
    } catch (error) {
      this.#dropListener(client);
      throw error;
    }
  }

  /** Forgets a lost LISTEN session; while anyone listens, a new one is opened after a pause. */
  #dropListener(client: pg.Client): void {
    if (this.#listenerClient !== client) return;
    this.#listenerClient = null;
    this.#listener = null;
    void client.end().catch(() => undefined);
    this.#scheduleRelisten();
  }

  #scheduleRelisten(): void {
    if (this.#closed || this.#channels.size === 0 || this.#reconnectTimer !== null) return;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      void this.#relisten();
    }, LISTEN_RECONNECT_DELAY_MS);
    this.#reconnectTimer.unref();
  }

  async #relisten(): Promise<void> {
    if (this.#closed || this.#channels.size === 0) return;
    try {
      const client = await this.#listenSession();
      for (const channel of this.#channels.keys()) await client.query(`LISTEN ${quoteIdentifier(channel)}`);
      this.#logger.info({ channels: [...this.#channels.keys()] }, 'LISTEN session restored');
    } catch (error) {
      // A failed connect already scheduled the next try; a failed LISTEN drops the session to retry.
      this.#logger.warn({ err: String(error) }, 'LISTEN session not restored yet');
      if (this.#listenerClient !== null) this.#dropListener(this.#listenerClient);
    }
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer);
    const client = this.#listenerClient;
    this.#listenerClient = null;
    this.#listener = null;
    if (client !== null) await client.end().catch(() => undefined);
    await this.#pool.end();
  }
}
