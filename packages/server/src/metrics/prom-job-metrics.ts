import type {
  AttemptOutcome,
  EndedAttempt,
  Job,
  JobMetrics,
  JobOrigin,
  LeaseGrant,
  LeaseOperation,
  LimitHold,
  LimitHoldEffect,
} from '@stella-orch/core';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { LabelPolicy } from './label-policy.js';

/** Queue waits: from a few milliseconds (a waiting worker) to a day (a backlog). */
const QUEUE_WAIT_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3_600, 14_400, 86_400];

/** How each kind of limit can hold work back (a source is paused through `held`, not at the grant). */
const LIMIT_HOLD_EFFECTS: Readonly<Record<LimitHold['limit'], readonly LimitHoldEffect[]>> = {
  quota: ['pause', 'concurrency', 'rate', 'backfill_lane'],
  source: ['concurrency', 'rate', 'backfill_lane'],
  throttle: ['pause', 'concurrency', 'rate', 'backfill_lane'],
  circuit: ['pause', 'concurrency', 'backfill_lane'],
};

/** Lease grants: one ledger transaction, from a fraction of a millisecond to a contended second. */
const LEASE_GRANT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Run times: from a no-op to the longest lease a worker may hold and extend. */
const RUN_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1_800, 3_600, 14_400];

/** Every value of a label whose values are known (a missing one fails the type check). */
function valuesOf<T extends string>(all: Record<T, true>): readonly T[] {
  return Object.keys(all) as T[];
}

const ORIGINS = valuesOf<JobOrigin>({ submit: true, retry: true, replay: true });
const OUTCOMES = valuesOf<AttemptOutcome>({
  succeeded: true,
  'failed-retry': true,
  'failed-dead-lettered': true,
  canceled: true,
});
const OPERATIONS = valuesOf<LeaseOperation>({ heartbeat: true, artifacts: true, complete: true });

/**
 * The job lifecycle's metrics on prom-client: the {@link JobMetrics} port of the job service. Every count
 * is one history row of the ledger, so the counters can be checked against it.
 *
 * The counters' series of a tenant and job type are made, at 0, for every origin and outcome the first
 * time the pair is seen (and those of a tenant for every lease operation): a series that appears with its
 * first increment is invisible to `rate()` and `increase()`, which need two samples.
 */
export class PromJobMetrics implements JobMetrics {
  readonly #labels: LabelPolicy;
  readonly #created: Counter<'tenant' | 'job_type' | 'origin'>;
  readonly #leased: Counter<'tenant' | 'job_type'>;
  readonly #completed: Counter<'tenant' | 'job_type' | 'outcome'>;
  readonly #expired: Counter<'tenant' | 'job_type' | 'outcome'>;
  readonly #canceled: Counter<'tenant' | 'job_type'>;
  readonly #lost: Counter<'tenant' | 'operation'>;
  readonly #queueWait: Histogram<'tenant' | 'job_type'>;
  readonly #runDuration: Histogram<'tenant' | 'job_type' | 'outcome'>;
  readonly #leaseGrant: Histogram;
  readonly #limitHolds: Counter<'tenant' | 'limit' | 'effect'>;
  /** The tenant and job-type label pairs (and the tenants) whose series are made. */
  readonly #known = new Set<string>();

  /** Registers the metrics in `registry`. */
  constructor(registry: Registry, labels: LabelPolicy) {
    this.#labels = labels;
    const registers = [registry];
    this.#created = new Counter({
      name: 'stella_orch_jobs_submitted_total',
      help: 'Jobs created: submitted by producers (origin submit) or cloned by an operator retry or replay.',
      labelNames: ['tenant', 'job_type', 'origin'],
      registers,
    });
    this.#leased = new Counter({
      name: 'stella_orch_jobs_leased_total',
      help: 'Leases granted to workers (one per attempt).',
      labelNames: ['tenant', 'job_type'],
      registers,
    });
    this.#completed = new Counter({
      name: 'stella_orch_jobs_completed_total',
      help: 'Attempts ended by a worker completion, by outcome (succeeded, failed-retry, failed-dead-lettered, canceled).',
      labelNames: ['tenant', 'job_type', 'outcome'],
      registers,
    });
    this.#expired = new Counter({
      name: 'stella_orch_lease_expirations_total',
      help: 'Attempts ended by the lease reaper because their lease lapsed, by what became of the job.',
      labelNames: ['tenant', 'job_type', 'outcome'],
      registers,
    });
    this.#canceled = new Counter({
      name: 'stella_orch_queued_jobs_canceled_total',
      help: 'Jobs an operator canceled before any worker held them.',
      labelNames: ['tenant', 'job_type'],
      registers,
    });
    this.#lost = new Counter({
      name: 'stella_orch_leases_lost_total',
      help: 'Fenced worker calls refused with 409 LEASE_LOST (stale or lapsed lease), by call.',
      labelNames: ['tenant', 'operation'],
      registers,
    });
    this.#queueWait = new Histogram({
      name: 'stella_orch_job_queue_wait_seconds',
      help: 'Time from when a job became eligible (created, notBefore, end of back-off) to its lease.',
      labelNames: ['tenant', 'job_type'],
      buckets: QUEUE_WAIT_BUCKETS,
      registers,
    });
    this.#runDuration = new Histogram({
      name: 'stella_orch_job_run_duration_seconds',
      help: 'Time from the lease to the worker completion of an attempt, by outcome.',
      labelNames: ['tenant', 'job_type', 'outcome'],
      buckets: RUN_DURATION_BUCKETS,
      registers,
    });
    this.#limitHolds = new Counter({
      name: 'stella_orch_limit_holds_total',
      help: 'Lease grants at which a limit held back ready work, by kind of limit (quota, source, throttle, circuit) and how (pause, concurrency, rate, backfill_lane).',
      labelNames: ['tenant', 'limit', 'effect'],
      registers,
    });
    this.#leaseGrant = new Histogram({
      name: 'stella_orch_lease_grant_duration_seconds',
      help: 'Time the ledger took to decide and grant one lease call (limits included), granted or empty.',
      buckets: LEASE_GRANT_BUCKETS,
      registers,
    });
  }

  /** @inheritdoc */
  limitHolds(tenantId: string, holds: readonly LimitHold[]): void {
    const tenant = this.#labels.tenant(tenantId);
    this.#initialiseHolds(tenant);
    for (const hold of holds) this.#limitHolds.inc({ tenant, limit: hold.limit, effect: hold.effect });
  }

  /** @inheritdoc */
  leaseGrantTimed(seconds: number): void {
    this.#leaseGrant.observe(seconds);
  }

  /** @inheritdoc */
  jobsCreated(jobs: readonly Job[], origin: JobOrigin): void {
    for (const job of jobs) this.#created.inc(this.#of(job.tenantId, job.jobType, { origin }));
  }

  /** @inheritdoc */
  jobsLeased(grants: readonly LeaseGrant[]): void {
    for (const grant of grants) {
      const labels = this.#of(grant.tenantId, grant.jobType, {});
      this.#leased.inc(labels);
      this.#queueWait.observe(labels, grant.queueWaitSeconds);
    }
  }

  /** @inheritdoc */
  attemptsEnded(attempts: readonly EndedAttempt[]): void {
    for (const attempt of attempts) {
      const labels = this.#of(attempt.tenantId, attempt.jobType, { outcome: attempt.outcome });
      if (attempt.endedBy === 'reaper') {
        this.#expired.inc(labels);
        continue;
      }
      this.#completed.inc(labels);
      if (attempt.runSeconds !== null) this.#runDuration.observe(labels, attempt.runSeconds);
    }
  }

  /** @inheritdoc */
  queuedJobCanceled(job: Job): void {
    this.#canceled.inc(this.#of(job.tenantId, job.jobType, {}));
  }

  /** @inheritdoc */
  leasesLost(tenantId: string, operation: LeaseOperation, count: number): void {
    const tenant = this.#labels.tenant(tenantId);
    if (!this.#known.has(tenant)) {
      this.#known.add(tenant);
      for (const each of OPERATIONS) this.#lost.inc({ tenant, operation: each }, 0);
    }
    this.#lost.inc({ tenant, operation }, count);
  }

  #of<T extends Record<string, string>>(
    tenantId: string,
    jobType: string,
    rest: T,
  ): T & { tenant: string; job_type: string } {
    const tenant = this.#labels.tenant(tenantId);
    const type = this.#labels.jobType(jobType);
    this.#initialise(tenant, type);
    return { ...rest, tenant, job_type: type };
  }

  /** Makes the limit-hold series of a tenant at 0, the first time the tenant is seen. */
  #initialiseHolds(tenant: string): void {
    const key = `holds\u0000${tenant}`;
    if (this.#known.has(key)) return;
    this.#known.add(key);
    for (const [limit, effects] of Object.entries(LIMIT_HOLD_EFFECTS)) {
      for (const effect of effects) this.#limitHolds.inc({ tenant, limit, effect }, 0);
    }
  }

  /** Makes the counters' series of a tenant and job type at 0, the first time the pair is seen. */
  #initialise(tenant: string, jobType: string): void {
    this.#initialiseHolds(tenant);
    const key = `${tenant}\u0000${jobType}`;
    if (this.#known.has(key)) return;
    this.#known.add(key);
    const labels = { tenant, job_type: jobType };
    for (const origin of ORIGINS) this.#created.inc({ ...labels, origin }, 0);
    this.#leased.inc(labels, 0);
    this.#canceled.inc(labels, 0);
    for (const outcome of OUTCOMES) {
      this.#completed.inc({ ...labels, outcome }, 0);
      this.#expired.inc({ ...labels, outcome }, 0);
    }
  }
}
