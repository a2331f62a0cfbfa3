/**
 * The seam between the ledger's SQL and a database engine. Both adapters run the same statements; what
 * differs between engines is described by {@link DriverCapabilities}, not by branches in the queries.
 *
 * Parameter rules that keep the two drivers interchangeable: JSON goes in as text and is cast
 * `$n::text::jsonb`; arrays go in as JS arrays with an explicit cast (`$n::text[]`, `$n::int[]`); counts and
 * bigints are cast to `::int` or `::float8` in SELECT lists so both drivers return JS numbers; timestamps
 * come back as `Date` and are turned into ISO strings by the row mappers.
 */

/** Something that runs one parameterised statement: a driver, or a transaction of one. */
export interface SqlExecutor {
  /**
   * Runs one statement and returns its rows.
   * @throws OrchestratorError (a {@link SqlError} for statement failures, `STORE_UNAVAILABLE` when the
   *   database cannot be reached)
   */
  query<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/** What an engine can and cannot do; consulted instead of testing which engine is in use. */
export interface DriverCapabilities {
  /** `postgres` (a server through `pg`) or `pglite` (embedded, in this process). */
  readonly engine: 'postgres' | 'pglite';
  /**
   * Whether other processes can share the database. Only then can a NOTIFY come from elsewhere, so only
   * then is a LISTEN session worth keeping.
   */
  readonly sharedAcrossProcesses: boolean;
  /** Whether statements run at the same time on several sessions (PGlite runs one at a time). */
  readonly concurrentSessions: boolean;
}

/** A connection (pool) to one database. */
export interface SqlDriver extends SqlExecutor {
  readonly capabilities: DriverCapabilities;
  /**
   * Runs `fn` inside one transaction on one session: committed when `fn` resolves, rolled back when it
   * throws (the error is rethrown).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Calls `callback` with the payload of every NOTIFY on `channel` (delivered after the notifying
   * transaction commits). Resolves once listening; returns the function that stops it.
   */
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  /** Releases every session. Safe to call more than once. */
  close(): Promise<void>;
}
