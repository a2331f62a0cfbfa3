import type { Context } from '@opentelemetry/api';
import { isApiError, isLeaseLost } from './api-error.js';
import { groupBy } from './group-by.js';
import type { BatchHeartbeatResult, LeaseStatus } from './lease-resources.js';
import type { Logger } from './logger.js';
import type { OrchestratorClient } from './orchestrator-client.js';

/** A lease the scheduler keeps alive, and what it tells the owner. */
export interface HeartbeatTarget {
  readonly leaseId: string;
  readonly fencingToken: number;
  /** The job's trace: a heartbeat sent alone continues it (a batch belongs to no one job's trace). */
  readonly traceContext?: Context;
  /**
   * The job's tenant, sent as `X-Stella-Tenant` (a pool worker's token needs it); heartbeats are batched
   * per tenant. The client's tenant when not given.
   */
  readonly tenant?: string;
  /** A heartbeat (or progress report) was answered. */
  onBeat(answer: { readonly leaseUntil: string; readonly cancelRequested: boolean }): void;
  /** The server answered `LEASE_LOST`; the scheduler has already dropped the lease. */
  onLost(detail: string): void;
}

/** Settings of {@link HeartbeatScheduler}. */
export interface HeartbeatSchedulerOptions {
  readonly client: OrchestratorClient;
  readonly intervalMs: number;
  /** Sent with every heartbeat: the lease is extended to now + this. */
  readonly leaseDurationMs: number;
  readonly logger: Logger;
}

interface Entry {
  readonly target: HeartbeatTarget;
  dueAt: number;
  sending: boolean;
}

/** The batch endpoint's limit. */
const MAX_HEARTBEAT_BATCH = 500;

/**
 * Sends each lease's heartbeat every `intervalMs` from one timer. Heartbeats due at about the same time
 * (within a quarter interval, at most a second) go out together through `POST /leases/heartbeat`, one call
 * per tenant of their jobs (a pool worker holds leases of many); a lone one through
 * `POST /leases/{id}/heartbeat`. A failed heartbeat is tried again soon; `LEASE_LOST` drops
 * the lease and tells its owner.
 */
export class HeartbeatScheduler {
  readonly #options: HeartbeatSchedulerOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #sends = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #slackMs: number;
  readonly #retryDelayMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** @param options - client, interval, lease duration and logger */
  constructor(options: HeartbeatSchedulerOptions) {
    this.#options = options;
    this.#slackMs = Math.min(Math.floor(options.intervalMs / 4), 1_000);
    this.#retryDelayMs = Math.min(options.intervalMs, 1_000);
  }

  /** Starts keeping `target`'s lease alive; the first heartbeat is due one interval from now. */
  add(target: HeartbeatTarget): void {
    if (this.#closed) return;
    this.#entries.set(target.leaseId, {
      target,
      dueAt: Date.now() + this.#options.intervalMs,
      sending: false,
    });
    this.#schedule();
  }

  /** Stops heartbeating a lease. */
  remove(leaseId: string): void {
    if (this.#entries.delete(leaseId)) this.#schedule();
  }

  /** The number of leases kept alive. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Runs a call that extends the lease (a manual heartbeat, a progress report) and handles its answer like
   * a scheduled heartbeat's: the next one is due an interval later; `LEASE_LOST` drops the lease.
   */
  async extendWith(leaseId: string, call: () => Promise<LeaseStatus>): Promise<LeaseStatus> {
    try {
      const answer = await call();
      this.#applied(leaseId, answer);
      return answer;
    } catch (error) {
      if (isLeaseLost(error)) this.#lost(leaseId, error.detail);
      throw error;
    }
  }

  /** Stops the timer, aborts heartbeats on the wire and waits for them to settle. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    await Promise.allSettled([...this.#sends]);
    this.#entries.clear();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed) return;
    let next = Infinity;
    for (const entry of this.#entries.values()) if (!entry.sending && entry.dueAt < next) next = entry.dueAt;
    if (next === Infinity) return;
    this.#timer = setTimeout(
      () => {
        this.#tick();
      },
      Math.max(0, next - Date.now()),
    );
  }

  #tick(): void {
    const horizon = Date.now() + this.#slackMs;
    const due = [...this.#entries.values()].filter((e) => !e.sending && e.dueAt <= horizon);
    for (const entry of due) entry.sending = true;
    for (const group of groupBy(due, (e) => e.target.tenant)) {
      for (let i = 0; i < group.length; i += MAX_HEARTBEAT_BATCH) {
        const send = this.#send(group.slice(i, i + MAX_HEARTBEAT_BATCH)).finally(() => {
          this.#sends.delete(send);
        });
        this.#sends.add(send);
      }
    }
    this.#schedule();
  }

  async #send(entries: readonly Entry[]): Promise<void> {
    const { client, leaseDurationMs } = this.#options;
    const signal = this.#abort.signal;
    try {
      const [only] = entries;
      // The entries of one send share a tenant (see #tick).
      const tenant = only?.target.tenant;
      const tenantOption = tenant === undefined ? {} : { tenant };
      if (entries.length === 1 && only !== undefined) {
        const { leaseId, fencingToken, traceContext } = only.target;
        const options = { signal, ...tenantOption, ...(traceContext === undefined ? {} : { traceContext }) };
        const answer = await this.extendWith(leaseId, () =>
          client.heartbeat(leaseId, { fencingToken, leaseDurationMs }, options),
        );
        this.#options.logger.debug({ leaseId, leaseUntil: answer.leaseUntil }, 'heartbeat');
      } else {
        const beats = entries.map((e) => ({
          leaseId: e.target.leaseId,
          fencingToken: e.target.fencingToken,
          leaseDurationMs,
        }));
        const results = await client.heartbeats(beats, { signal, ...tenantOption });
        this.#applyBatch(entries, results);
      }
    } catch (error) {
      if (!this.#closed && !isLeaseLost(error)) {
        const detail = isApiError(error)
          ? error.code
          : error instanceof Error
            ? error.message
            : String(error);
        this.#options.logger.warn(
          { leases: entries.length, error: detail },
          'heartbeat failed; trying again soon',
        );
        for (const entry of entries) entry.dueAt = Date.now() + this.#retryDelayMs;
      }
    } finally {
      for (const entry of entries) entry.sending = false;
      this.#schedule();
    }
  }

  #applyBatch(entries: readonly Entry[], results: readonly BatchHeartbeatResult[]): void {
    const byLease = new Map(results.map((r) => [r.leaseId, r]));
    for (const entry of entries) {
      const result = byLease.get(entry.target.leaseId);
      if (result?.ok === true) {
        this.#applied(entry.target.leaseId, result);
      } else if (result?.code === 'LEASE_LOST') {
        this.#lost(entry.target.leaseId, result.detail);
      } else {
        this.#options.logger.warn({ leaseId: entry.target.leaseId, code: result?.code }, 'heartbeat refused');
        entry.dueAt = Date.now() + this.#retryDelayMs;
      }
    }
  }

  #applied(
    leaseId: string,
    answer: { readonly leaseUntil: string; readonly cancelRequested: boolean },
  ): void {
    const entry = this.#entries.get(leaseId);
    if (entry === undefined) return;
    entry.dueAt = Date.now() + this.#options.intervalMs;
    entry.target.onBeat(answer);
    this.#schedule();
  }

  #lost(leaseId: string, detail: string): void {
    const entry = this.#entries.get(leaseId);
    if (entry === undefined) return;
    this.#entries.delete(leaseId);
    entry.target.onLost(detail);
    this.#schedule();
  }
}
