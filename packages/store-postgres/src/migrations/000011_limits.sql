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

-- The queues of a job type with ready work: one range per source, in lease order, so the lease grant of a
-- tenant with limits scans each queue only up to its budget.
CREATE INDEX jobs_ready_by_source ON orch.jobs (tenant_id, job_type, source_id, priority DESC, seq)
  WHERE status = 'pending' AND NOT held;
-- The jobs leased or running per job type and source: what concurrency limits count, under their lock.
CREATE INDEX jobs_in_flight ON orch.jobs (tenant_id, job_type, source_id)
  WHERE status IN ('leased', 'running');
