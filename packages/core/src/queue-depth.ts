/**
 * Where the jobs counted by a {@link QueueDepth} stand:
 * - `ready`: pending and eligible now (a worker asking for the type would get one);
 * - `backoff`: pending, held until the back-off of a failed attempt ends;
 * - `not_before`: pending, held until the `notBefore` its producer gave;
 * - `in_flight`: leased or running;
 * - `dead_letter`: open dead-letter entries (not jobs waiting: failures waiting for an operator).
 *
 * Holds of flow control (rate limits, quotas, concurrency, pause, circuits, dependencies) do not exist yet;
 * they will be states of their own.
 */
export type QueueDepthState = 'ready' | 'paused' | 'backoff' | 'not_before' | 'in_flight' | 'dead_letter';

/** How many jobs of a tenant and job type are in one state, as the ledger counted them. */
export interface QueueDepth {
  readonly tenantId: string;
  readonly jobType: string;
  readonly state: QueueDepthState;
  readonly count: number;
  /** For `ready`: seconds since the longest-waiting job became eligible; otherwise `null`. */
  readonly oldestAgeSeconds: number | null;
}
