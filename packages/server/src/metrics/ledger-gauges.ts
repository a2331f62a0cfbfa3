import {
  CIRCUIT_STATES,
  type CircuitBreakerCount,
  type Logger,
  type QueueDepth,
  type QueueDepthState,
} from '@stella-orch/core';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LabelPolicy } from './label-policy.js';

/** Where the gauges read the ledger, and how often at most. */
export interface LedgerGaugeDeps {
  /** One read of every queue's depth (`JobStore.queueDepths`). */
  readonly queueDepths: () => Promise<QueueDepth[]>;
  /** One read of every tenant's circuit breakers by state (`CircuitBreakerStore.breakerCounts`), if any. */
  readonly circuitBreakerCounts?: () => Promise<CircuitBreakerCount[]>;
  /** A snapshot younger than this is reused by the next scrape. */
  readonly cacheMs: number;
  readonly logger: Logger;
  /** Milliseconds of a monotonic clock. */
  readonly now?: () => number;
}

type Labels = Readonly<Record<string, string>>;

/** One gauge's values of a snapshot, by label set. */
class GaugeValues {
  readonly #values = new Map<string, { labels: Labels; value: number }>();

  add(labels: Labels, value: number, combine: (a: number, b: number) => number): void {
    const key = JSON.stringify(labels);
    const known = this.#values.get(key);
    this.#values.set(key, { labels, value: known === undefined ? value : combine(known.value, value) });
  }

  entries(): IterableIterator<[string, { labels: Labels; value: number }]> {
    return this.#values.entries();
  }
}

const sum = (a: number, b: number): number => a + b;

/**
 * Gauges of the ledger's queues and circuit breakers, read on scrape: one statement each (`queueDepths`,
 * `circuitBreakerCounts`) per snapshot, a snapshot reused for `cacheMs` (scrapes of several Prometheus servers, or of every replica, cost one read each
 * period). Every replica reports the same ledger: aggregate them with `max`, not `sum`. A series seen
 * once stays, at 0 when its queue empties, so that alerts see a zero rather than a gap. A failed read is
 * counted and logged; the scrape still answers, with the last values.
 */
export class LedgerGauges {
  readonly #deps: LedgerGaugeDeps;
  readonly #labels: LabelPolicy;
  readonly #now: () => number;
  readonly #ready: Gauge<'tenant' | 'job_type'>;
  readonly #held: Gauge<'tenant' | 'job_type' | 'reason'>;
  readonly #inFlight: Gauge<'tenant' | 'job_type'>;
  readonly #deadLetters: Gauge<'tenant' | 'job_type'>;
  readonly #oldest: Gauge<'tenant' | 'job_type'>;
  readonly #breakers: Gauge<'tenant' | 'state'>;
  readonly #failures: Counter;
  readonly #seen = new Map<Gauge, Map<string, Labels>>();
  #snapshot: { readonly at: number; done: Promise<void>; settled: boolean } | undefined;

  /** Registers the gauges in `registry`. */
  constructor(registry: Registry, labels: LabelPolicy, deps: LedgerGaugeDeps) {
    this.#deps = deps;
    this.#labels = labels;
    this.#now = deps.now ?? (() => performance.now());
    const registers = [registry];
    const collect = (): Promise<void> => this.refresh();
    this.#ready = new Gauge({
      name: 'stella_orch_queue_ready_jobs',
      help: 'Pending jobs eligible now (read from the ledger on scrape).',
      labelNames: ['tenant', 'job_type'],
      registers,
      collect,
    });
    this.#held = new Gauge({
      name: 'stella_orch_queue_held_jobs',
      help: 'Pending jobs not leasable now, by reason: paused (source or backfill), backoff (after a failed attempt) or not_before.',
      labelNames: ['tenant', 'job_type', 'reason'],
      registers,
      collect,
    });
    this.#inFlight = new Gauge({
      name: 'stella_orch_jobs_in_flight',
      help: 'Jobs leased or running (read from the ledger on scrape).',
      labelNames: ['tenant', 'job_type'],
      registers,
      collect,
    });
    this.#deadLetters = new Gauge({
      name: 'stella_orch_dead_letter_open_entries',
      help: 'Open dead-letter entries (read from the ledger on scrape).',
      labelNames: ['tenant', 'job_type'],
      registers,
      collect,
    });
    this.#oldest = new Gauge({
      name: 'stella_orch_queue_oldest_ready_job_age_seconds',
      help: 'Age of the longest-waiting ready job, from when it became eligible.',
      labelNames: ['tenant', 'job_type'],
      registers,
      collect,
    });
    this.#breakers = new Gauge({
      name: 'stella_orch_circuit_breakers',
      help: 'Circuit breakers by state: closed, open, half_open (read from the ledger on scrape).',
      labelNames: ['tenant', 'state'],
      registers,
      collect,
    });
    this.#failures = new Counter({
      name: 'stella_orch_ledger_gauge_refresh_failures_total',
      help: 'Scrapes whose read of the queue gauges from the ledger failed (the last values were served).',
      registers,
    });
  }

  /**
   * Reads the ledger unless the last snapshot is recent enough. Callers during a read share it: the
   * gauges of one scrape, collected together, cost one read even with `cacheMs` 0.
   */
  refresh(): Promise<void> {
    const last = this.#snapshot;
    if (last !== undefined && (!last.settled || this.#now() - last.at < this.#deps.cacheMs)) return last.done;
    const snapshot = { at: this.#now(), done: Promise.resolve(), settled: false };
    this.#snapshot = snapshot;
    snapshot.done = this.#read().finally(() => {
      snapshot.settled = true;
    });
    return snapshot.done;
  }

  async #read(): Promise<void> {
    let depths: QueueDepth[];
    let breakers: CircuitBreakerCount[];
    // Both reads at once; the breakers' failure is handled here too, whichever is awaited first.
    const breakersRead = this.#deps.circuitBreakerCounts?.() ?? Promise.resolve([]);
    breakersRead.catch(() => undefined);
    try {
      depths = await this.#deps.queueDepths();
      breakers = await breakersRead;
    } catch (error) {
      // Not cached: the next scrape reads again.
      this.#snapshot = undefined;
      this.#failures.inc();
      this.#deps.logger.warn({ err: error }, 'the queue gauges could not be read from the ledger');
      return;
    }
    this.#apply(depths, breakers);
  }

  #apply(depths: readonly QueueDepth[], breakers: readonly CircuitBreakerCount[]): void {
    const values = new Map<Gauge, GaugeValues>();
    const valuesOf = (gauge: Gauge): GaugeValues => {
      let found = values.get(gauge);
      if (found === undefined) {
        found = new GaugeValues();
        values.set(gauge, found);
      }
      return found;
    };
    for (const depth of depths) {
      const labels = {
        tenant: this.#labels.tenant(depth.tenantId),
        job_type: this.#labels.jobType(depth.jobType),
      };
      const target = this.#gaugeOf(depth.state);
      valuesOf(target.gauge).add({ ...labels, ...target.extra }, depth.count, sum);
      if (depth.state === 'ready' && depth.oldestAgeSeconds !== null) {
        valuesOf(this.#oldest).add(labels, Math.max(0, depth.oldestAgeSeconds), Math.max);
      }
    }
    // Every state of a tenant with breakers has a series, 0 when none is in it: the open-breaker alert
    // sees a zero rather than a gap.
    const breakerValues = valuesOf(this.#breakers);
    for (const { tenantId, state, count } of breakers) {
      const tenant = this.#labels.tenant(tenantId);
      for (const each of CIRCUIT_STATES) breakerValues.add({ tenant, state: each }, 0, sum);
      breakerValues.add({ tenant, state }, count, sum);
    }
    for (const gauge of [
      this.#ready,
      this.#held,
      this.#inFlight,
      this.#deadLetters,
      this.#oldest,
      this.#breakers,
    ]) {
      this.#set(gauge, values.get(gauge));
    }
  }

  #gaugeOf(state: QueueDepthState): { gauge: Gauge; extra: Labels } {
    switch (state) {
      case 'ready':
        return { gauge: this.#ready, extra: {} };
      case 'paused':
      case 'backoff':
      case 'not_before':
        return { gauge: this.#held, extra: { reason: state } };
      case 'in_flight':
        return { gauge: this.#inFlight, extra: {} };
      case 'dead_letter':
        return { gauge: this.#deadLetters, extra: {} };
    }
  }

  /** Sets this snapshot's values, and 0 on every series seen before that this snapshot lacks. */
  #set(gauge: Gauge, values: GaugeValues | undefined): void {
    let seen = this.#seen.get(gauge);
    if (seen === undefined) {
      seen = new Map();
      this.#seen.set(gauge, seen);
    }
    const current = new Set<string>();
    for (const [key, { labels, value }] of values?.entries() ?? []) {
      gauge.set(labels, value);
      seen.set(key, labels);
      current.add(key);
    }
    for (const [key, labels] of seen) if (!current.has(key)) gauge.set(labels, 0);
  }
}
