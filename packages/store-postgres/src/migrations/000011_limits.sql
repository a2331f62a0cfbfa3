-- 000011_limits: quotas, throttles, source concurrency and the token buckets the lease grant debits
-- (docs/decisions/0016-admission-and-limits.md). Every key and index leads with tenant_id.

-- A quota of a tenant, for one job type or (job_type NULL) for all of them together: at most max_active jobs
-- leased or running at once, and at most max_per_hour leases per hour with bursts up to burst (a token
-- bucket of capacity burst refilled at max_per_hour / 3600 per second). A paused quota leases nothing.
CREATE TABLE orch.quotas (
  tenant_id text NOT NULL,
  quota_id uuid NOT NULL,
  -- Listing order: oldest first, stable across pages.
  seq bigint GENERATED ALWAYS AS IDENTITY,
  job_type text,
  max_active integer,
  max_per_hour integer,
  burst integer,
  paused boolean NOT NULL DEFAULT false,
  pause_reason text,
  pause_ticket text,
  paused_by text,
  paused_at timestamptz,
  -- From the token's quota_reason / quota_ticket at the last change.
  reason text NOT NULL,
  ticket text,
  -- Grows by one with every change: the ETag of optimistic updates.
  version integer NOT NULL DEFAULT 1,
  idempotency_key text,
  request_digest text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT quotas_pkey PRIMARY KEY (tenant_id, quota_id),
  -- One quota per tenant and job type, and one for the whole tenant.
  CONSTRAINT quotas_scope UNIQUE NULLS NOT DISTINCT (tenant_id, job_type),
  CONSTRAINT quotas_job_type_check CHECK (job_type ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$'),
  CONSTRAINT quotas_max_active_check CHECK (max_active BETWEEN 1 AND 1000000),
  CONSTRAINT quotas_max_per_hour_check CHECK (max_per_hour BETWEEN 1 AND 360000000),
  CONSTRAINT quotas_burst_check CHECK (burst IS NULL OR (burst BETWEEN 1 AND 1000000 AND max_per_hour IS NOT NULL)),
  CONSTRAINT quotas_limit_check CHECK (max_active IS NOT NULL OR max_per_hour IS NOT NULL),
  CONSTRAINT quotas_pause_check CHECK (
    paused = (pause_reason IS NOT NULL AND paused_by IS NOT NULL AND paused_at IS NOT NULL)
    AND (paused OR pause_ticket IS NULL)
  ),
  CONSTRAINT quotas_version_check CHECK (version >= 1)
);

CREATE INDEX quotas_listing ON orch.quotas (tenant_id, seq);
CREATE UNIQUE INDEX quotas_idempotency_key ON orch.quotas (tenant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- A throttle: an operator's temporary override on a source, a job type, both, or (neither) the whole tenant.
-- It pauses, lowers the rate (a token bucket of max_per_second), or lowers the concurrency, until
-- expires_at or until it is revoked. Where several limits apply, the lowest wins.
CREATE TABLE orch.throttles (
  tenant_id text NOT NULL,
  throttle_id uuid NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  source_id text,
  job_type text,
  pause boolean NOT NULL DEFAULT false,
  max_per_second double precision,
  max_concurrent integer,
  reason text NOT NULL,
  ticket text NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_by text,
  revoke_reason text,
  idempotency_key text,
  request_digest text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT throttles_pkey PRIMARY KEY (tenant_id, throttle_id),
  CONSTRAINT throttles_source_fk FOREIGN KEY (tenant_id, source_id) REFERENCES orch.sources (tenant_id, source_id),
  CONSTRAINT throttles_job_type_check CHECK (job_type ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$'),
  CONSTRAINT throttles_max_per_second_check CHECK (max_per_second > 0 AND max_per_second <= 100000),
  CONSTRAINT throttles_max_concurrent_check CHECK (max_concurrent BETWEEN 0 AND 1000000),
  CONSTRAINT throttles_effect_check CHECK (pause OR max_per_second IS NOT NULL OR max_concurrent IS NOT NULL),
  CONSTRAINT throttles_expiry_check CHECK (expires_at > created_at),
  CONSTRAINT throttles_revoke_check CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);

CREATE INDEX throttles_listing ON orch.throttles (tenant_id, seq DESC);
-- The throttles in force: what every lease call of a tenant with limits reads.
CREATE INDEX throttles_active ON orch.throttles (tenant_id, expires_at) WHERE revoked_at IS NULL;
CREATE UNIQUE INDEX throttles_idempotency_key ON orch.throttles (tenant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- The most jobs of a source leased or running at once; NULL: unlimited.
ALTER TABLE orch.sources ADD COLUMN max_concurrent integer;
ALTER TABLE orch.sources ADD CONSTRAINT sources_max_concurrent_check CHECK (max_concurrent BETWEEN 1 AND 1000000);
-- The sources with a limit: what every lease call of the tenant reads (and whether it has any).
CREATE INDEX sources_limited ON orch.sources (tenant_id, source_id)
  WHERE rate_limit_burst IS NOT NULL OR max_concurrent IS NOT NULL;

-- The state of every limit a lease grant serializes on: one row per limit key (`source:<id>`,
-- `quota:<jobType>` or `quota:*`, `throttle:<id>`), locked FOR UPDATE in key order by each lease call
-- that grants against the limit. For a token bucket, `tokens` is its level at `refilled_at`; a limit
-- without a bucket (concurrency only) keeps the row as its lock, at 'Infinity' tokens so that a bucket added
-- to it later starts full (levels are capped at the bucket's capacity when read).
CREATE TABLE orch.limit_state (
  tenant_id text NOT NULL,
  limit_key text NOT NULL,
  tokens double precision NOT NULL,
  refilled_at timestamptz NOT NULL,
  CONSTRAINT limit_state_pkey PRIMARY KEY (tenant_id, limit_key)
);

-- Priority with aging: a job's place in lease order is its ready rank, the time it became eligible (in
-- epoch seconds) less 60 seconds per priority level. Ordering by it is ordering by priority plus one level
-- per minute waited — computed once per write (the rank of a waiting job never changes), so aging costs no
-- periodic update: a job of priority p eligible for 10 minutes goes before a new job of priority p + 9, and
-- low priority is never starved. Within a rank, FIFO by seq.
ALTER TABLE orch.jobs ADD COLUMN ready_rank double precision
  GENERATED ALWAYS AS (extract(epoch FROM (next_eligible_at - to_timestamp(0))) - priority * 60.0) STORED;

-- Ready work, in lease order.
DROP INDEX orch.jobs_ready;
CREATE INDEX jobs_ready ON orch.jobs (tenant_id, job_type, ready_rank, seq)
  WHERE status = 'pending' AND NOT held;
-- The queues of a job type with ready work: one range per source and lane, in lease order, so the lease
-- grant of a tenant with limits scans each queue only up to its budget.
CREATE INDEX jobs_ready_by_source ON orch.jobs (tenant_id, job_type, source_id, lane, ready_rank, seq)
  WHERE status = 'pending' AND NOT held;
-- The jobs leased or running per job type, source and lane: what concurrency limits (and the backfill
-- lane's share of them) count, under their lock.
CREATE INDEX jobs_in_flight ON orch.jobs (tenant_id, job_type, source_id, lane)
  WHERE status IN ('leased', 'running');

-- A circuit breaker of a tenant on one source or one job type (docs/decisions/0016-admission-and-limits.md
-- §7). Closed, it lets everything through; it opens when failed attempts reach failure_ratio of the
-- attempts ended in the last window_seconds (at least min_volume of them), and leases nothing in its scope;
-- after cool_down_seconds it is half-open: at most probe_leases jobs at once, closed again when that many
-- probes succeeded, opened again by one failure. An operator can reset it to closed.
CREATE TABLE orch.circuit_breakers (
  tenant_id text NOT NULL,
  breaker_id uuid NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  source_id text,
  job_type text,
  failure_ratio double precision NOT NULL,
  min_volume integer NOT NULL,
  window_seconds integer NOT NULL,
  cool_down_seconds integer NOT NULL,
  probe_leases integer NOT NULL,
  state text NOT NULL DEFAULT 'closed',
  -- When the state last changed, and (open) until when it stays open.
  state_changed_at timestamptz NOT NULL DEFAULT now(),
  open_until timestamptz,
  -- The attempts of the window that opened it: {"attempts": n, "failures": n}.
  opened_with jsonb,
  -- Half-open: the attempts of its scope ended since, counted by the completion statement.
  probe_successes integer NOT NULL DEFAULT 0,
  probe_failures integer NOT NULL DEFAULT 0,
  version integer NOT NULL DEFAULT 1,
  idempotency_key text,
  request_digest text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT circuit_breakers_pkey PRIMARY KEY (tenant_id, breaker_id),
  CONSTRAINT circuit_breakers_source_fk FOREIGN KEY (tenant_id, source_id) REFERENCES orch.sources (tenant_id, source_id),
  -- Exactly one of a source and a job type.
  CONSTRAINT circuit_breakers_scope_check CHECK ((source_id IS NULL) <> (job_type IS NULL)),
  CONSTRAINT circuit_breakers_job_type_check CHECK (job_type ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$'),
  CONSTRAINT circuit_breakers_ratio_check CHECK (failure_ratio > 0 AND failure_ratio <= 1),
  CONSTRAINT circuit_breakers_volume_check CHECK (min_volume BETWEEN 1 AND 1000000),
  CONSTRAINT circuit_breakers_window_check CHECK (window_seconds BETWEEN 10 AND 86400),
  CONSTRAINT circuit_breakers_cool_down_check CHECK (cool_down_seconds BETWEEN 1 AND 86400),
  CONSTRAINT circuit_breakers_probes_check CHECK (probe_leases BETWEEN 1 AND 1000),
  CONSTRAINT circuit_breakers_state_check CHECK (state IN ('closed', 'open', 'half_open')),
  CONSTRAINT circuit_breakers_open_check CHECK ((state = 'open') = (open_until IS NOT NULL))
);

CREATE UNIQUE INDEX circuit_breakers_source ON orch.circuit_breakers (tenant_id, source_id) WHERE source_id IS NOT NULL;
CREATE UNIQUE INDEX circuit_breakers_job_type ON orch.circuit_breakers (tenant_id, job_type) WHERE job_type IS NOT NULL;
CREATE INDEX circuit_breakers_listing ON orch.circuit_breakers (tenant_id, seq);
CREATE UNIQUE INDEX circuit_breakers_idempotency_key ON orch.circuit_breakers (tenant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- The ended attempts of each breaker's scope in 10-second buckets, written by the completion statement
-- (only for scopes that have a breaker) and pruned past the longest window.
CREATE TABLE orch.circuit_outcomes (
  tenant_id text NOT NULL,
  breaker_id uuid NOT NULL,
  bucket_start timestamptz NOT NULL,
  successes integer NOT NULL DEFAULT 0,
  failures integer NOT NULL DEFAULT 0,
  CONSTRAINT circuit_outcomes_pkey PRIMARY KEY (tenant_id, breaker_id, bucket_start),
  CONSTRAINT circuit_outcomes_breaker_fk FOREIGN KEY (tenant_id, breaker_id)
    REFERENCES orch.circuit_breakers (tenant_id, breaker_id) ON DELETE CASCADE
);
