import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { OrchestratorError } from '@stella-orch/core';
import { classifyDriverError } from './sql-errors.js';
import type { DriverCapabilities, SqlDriver, SqlExecutor } from './sql-driver.js';

/** PGlite: one in-process session, so no other process can share the database. */
const PGLITE_CAPABILITIES: DriverCapabilities = {
  engine: 'pglite',
  sharedAcrossProcesses: false,
  concurrentSessions: false,
};

function executor(db: PGlite | Transaction): SqlExecutor {
  return {
    async query<R>(text: string, params: readonly unknown[] = []): Promise<R[]> {
      try {
        return (await db.query<R>(text, [...params])).rows;
      } catch (error) {
        throw classifyDriverError(error, 'pglite');
      }
    },
    async exec(script: string): Promise<void> {
      // PGlite refuses several statements in one `query` (a prepared statement); `exec` takes a script.
      try {
        await db.exec(script);
      } catch (error) {
        throw classifyDriverError(error, 'pglite');
      }
    },
  };
}

/**
 * The embedded engine: PostgreSQL compiled to WASM, in this process. PGlite serialises its own queries and
 * transactions, so callers need no locking of their own.
 */
export class PgliteDriver implements SqlDriver {
  readonly capabilities = PGLITE_CAPABILITIES;
  readonly #db: PGlite;
  readonly #executor: SqlExecutor;
  #closed = false;

  private constructor(db: PGlite) {
    this.#db = db;
    this.#executor = executor(db);
  }

  /**
   * Opens (creating when missing) the database in `dataDir`, or an in-memory database when none is given.
   * With `image` (a tarball from {@link PgliteDriver.dumpImage}) a new database starts as a copy of it
   * instead of running initdb; PGlite refuses to load it over an existing database in `dataDir`.
   * @throws OrchestratorError `STORE_UNAVAILABLE` when the data directory or the image cannot be opened
   */
  static async open(dataDir?: string, image?: Blob): Promise<PgliteDriver> {
    try {
      if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
      return new PgliteDriver(
        await PGlite.create({
          ...(dataDir === undefined ? {} : { dataDir }),
          ...(image === undefined ? {} : { loadDataDir: image }),
        }),
      );
    } catch (error) {
      const where = dataDir === undefined ? 'in memory' : `in ${dataDir}`;
      const reason = error instanceof Error ? error.message : String(error);
      throw new OrchestratorError('STORE_UNAVAILABLE', `cannot open PGlite ${where}: ${reason}`, {
        cause: error,
      });
    }
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
    try {
      return await this.#db.transaction((tx) => fn(executor(tx)));
    } catch (error) {
      throw classifyDriverError(error, 'pglite');
    }
  }

  /** @inheritdoc */
  async listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> {
    try {
      const unlisten = await this.#db.listen(channel, callback);
      return async () => {
        if (!this.#closed) await unlisten();
      };
    } catch (error) {
      throw classifyDriverError(error, 'pglite');
    }
  }

  /**
   * The whole database as an uncompressed tarball (PGlite's `dumpDataDir`): an image to open another
   * database from with {@link PgliteDriver.open}.
   */
  async dumpImage(): Promise<Blob> {
    try {
      return await this.#db.dumpDataDir('none');
    } catch (error) {
      throw classifyDriverError(error, 'pglite');
    }
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.close();
  }
}
