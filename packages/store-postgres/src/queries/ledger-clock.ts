import type { SqlExecutor } from '../sql-driver.js';

// The transaction's clock (`now()` is the same for every statement of a transaction), to the microsecond.
const LEDGER_NOW_MS = `SELECT (extract(epoch FROM now()) * 1000)::float8 AS now_ms`;

/**
 * The database clock in epoch milliseconds, fractional (the clock has microseconds): what limits and
 * expiries are judged by, so that replicas with skewed clocks agree.
 */
export async function ledgerNowMillis(db: SqlExecutor): Promise<number> {
  const [row] = await db.query<{ now_ms: number }>(LEDGER_NOW_MS);
  if (row === undefined) throw new Error('the ledger did not tell the time');
  return row.now_ms;
}
