-- 000001_init: the job ledger.
-- Every table lives in schema orch and every primary key and index leads with tenant_id, except the
-- lapsed-lease index the cross-tenant reaper walks. orch.schema_migrations is created by the migrator.

-- Runs: groups of jobs. Counts and status are derived from orch.jobs at read time.
CREATE TABLE orch.runs (
  tenant_id text NOT NULL,
  run_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  name text NOT NULL,
  source_id text,
  idempotency_key text,
  request_digest text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT runs_pkey PRIMARY KEY (tenant_id, run_id)
);

CREATE UNIQUE INDEX runs_idempotency_key ON orch.runs (tenant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_listing ON orch.runs (tenant_id, seq DESC);

-- Jobs: the record of truth for every job, its lease and its outcome.
CREATE TABLE orch.jobs (
  tenant_id text NOT NULL,
  job_id uuid NOT NULL,
  -- Insertion order: FIFO within a priority, and the tie-breaker of every listing.
  seq bigint GENERATED ALWAYS AS IDENTITY,
  project_id text,
  source_id text,
  run_id text,
  job_type text NOT NULL,
  priority integer NOT NULL,
  payload jsonb NOT NULL,
  payload_digest text NOT NULL,
  request_digest text NOT NULL,
  depends_on jsonb NOT NULL DEFAULT '[]',
  status text NOT NULL,
  attempt integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  idempotency_key text,
  correlation_id text NOT NULL,
  not_before timestamptz,
  next_eligible_at timestamptz NOT NULL,
  lease_id uuid,
  -- Grows by one with every lease and is never reset: a stale holder can always be told apart.
  fencing_token integer NOT NULL DEFAULT 0,
  lease_until timestamptz,
  worker_id text,
  cancel_requested boolean NOT NULL DEFAULT false,
  cancel_reason text,
  replay_of uuid,
  last_error jsonb,
  progress jsonb,
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  completed_at timestamptz,
  CONSTRAINT jobs_pkey PRIMARY KEY (tenant_id, job_id),
  CONSTRAINT jobs_run_fk FOREIGN KEY (tenant_id, run_id) REFERENCES orch.runs (tenant_id, run_id),
  CONSTRAINT jobs_status_check CHECK (
    status IN ('waiting', 'pending', 'leased', 'running', 'succeeded', 'failed', 'canceled')
  ),
  CONSTRAINT jobs_attempts_check CHECK (attempt >= 0 AND max_attempts >= 1),
  -- A lease exists exactly while a worker holds the job.
  CONSTRAINT jobs_lease_check CHECK (
    (status IN ('leased', 'running')) = (lease_id IS NOT NULL AND lease_until IS NOT NULL AND worker_id IS NOT NULL)
  ),
  CONSTRAINT jobs_terminal_check CHECK (
    (status IN ('succeeded', 'failed', 'canceled')) = (completed_at IS NOT NULL)
  )
);

CREATE UNIQUE INDEX jobs_idempotency_key ON orch.jobs (tenant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
-- Ready work, in lease order: highest priority first, FIFO within a priority.
CREATE INDEX jobs_ready ON orch.jobs (tenant_id, job_type, priority DESC, seq)
  WHERE status = 'pending';
-- Fenced calls find their job by lease id.
CREATE INDEX jobs_lease ON orch.jobs (tenant_id, lease_id)
  WHERE lease_id IS NOT NULL;
-- The reaper walks lapsed leases of every tenant, oldest first.
CREATE INDEX jobs_lapsed_leases ON orch.jobs (lease_until)
  WHERE status IN ('leased', 'running');
-- Listings: newest first.
CREATE INDEX jobs_listing ON orch.jobs (tenant_id, created_at DESC, seq DESC);
CREATE INDEX jobs_run ON orch.jobs (tenant_id, run_id)
  WHERE run_id IS NOT NULL;

-- One row per state transition of a job.
CREATE TABLE orch.job_history (
  tenant_id text NOT NULL,
  job_id uuid NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  from_status text,
  to_status text NOT NULL,
  attempt integer NOT NULL,
  reason text NOT NULL,
  actor text NOT NULL,
  details jsonb,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT job_history_pkey PRIMARY KEY (tenant_id, job_id, seq),
  CONSTRAINT job_history_job_fk FOREIGN KEY (tenant_id, job_id)
    REFERENCES orch.jobs (tenant_id, job_id) ON DELETE CASCADE
);

-- What workers produced, per attempt.
CREATE TABLE orch.job_artifacts (
  tenant_id text NOT NULL,
  job_id uuid NOT NULL,
  artifact_id uuid NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  attempt integer NOT NULL,
  uri text NOT NULL,
  digest text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
  media_type text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT job_artifacts_pkey PRIMARY KEY (tenant_id, job_id, artifact_id),
  CONSTRAINT job_artifacts_job_fk FOREIGN KEY (tenant_id, job_id)
    REFERENCES orch.jobs (tenant_id, job_id) ON DELETE CASCADE
);

-- Jobs that ended failed for good. A job fails at most once, so it has at most one entry.
CREATE TABLE orch.dead_letters (
  tenant_id text NOT NULL,
  entry_id uuid NOT NULL DEFAULT gen_random_uuid(),
  seq bigint GENERATED ALWAYS AS IDENTITY,
  job_id uuid NOT NULL,
  job_type text NOT NULL,
  attempts integer NOT NULL,
  error_type text NOT NULL,
  error_message text NOT NULL,
  status text NOT NULL DEFAULT 'open',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT dead_letters_pkey PRIMARY KEY (tenant_id, entry_id),
  CONSTRAINT dead_letters_status_check CHECK (status IN ('open', 'replayed', 'resolved')),
  CONSTRAINT dead_letters_job_fk FOREIGN KEY (tenant_id, job_id)
    REFERENCES orch.jobs (tenant_id, job_id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX dead_letters_job ON orch.dead_letters (tenant_id, job_id);
CREATE INDEX dead_letters_listing ON orch.dead_letters (tenant_id, seq DESC);

-- The transactional outbox: one small row per job transition, written with the transition. The
-- orch.event.v1 envelope (idempotency key orch-{event_type}-{job_id}-{attempt}, job snapshot) is built when
-- the events are read.
CREATE TABLE orch.events (
  tenant_id text NOT NULL,
  event_id bigint GENERATED ALWAYS AS IDENTITY,
  event_type text NOT NULL,
  job_id uuid,
  attempt integer,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  data jsonb,
  CONSTRAINT events_pkey PRIMARY KEY (tenant_id, event_id)
);
