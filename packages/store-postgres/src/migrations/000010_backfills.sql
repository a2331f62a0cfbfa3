-- 000010_backfills: backfills, watermarks and the job lane (docs/decisions/0017-backfills-and-watermarks.md).
--
-- A backfill reprocesses a source over an event-time window split into steps: one run holds one job per
-- step, created with the backfill in one transaction. Its stored status is what operators made it
-- (active, paused, canceled); `completed` is written lazily (when a newer backfill of the same source and
-- job type is created, or the backfill is read by an action) once every job of its run is terminal —
-- reads compute it from the run, so the completion path never looks at backfills.

CREATE TABLE orch.backfills (
  tenant_id text NOT NULL,
  backfill_id uuid NOT NULL,
  -- Listing order: newest first, stable across pages.
  seq bigint GENERATED ALWAYS AS IDENTITY,
  source_id text NOT NULL,
  job_type text NOT NULL,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  -- The step in whole seconds (UTC arithmetic: a day is 86,400 s).
  step_seconds bigint NOT NULL,
  status text NOT NULL DEFAULT 'active',
  run_id text NOT NULL,
  total_jobs integer NOT NULL,
  -- From the token's backfill_reason / backfill_ticket (or the request's operator headers).
  reason text NOT NULL,
  ticket text NOT NULL,
  payload_template jsonb NOT NULL,
  priority integer NOT NULL,
  max_attempts integer NOT NULL,
  idempotency_key text,
  request_digest text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  paused_by text,
  paused_at timestamptz,
  canceled_reason text,
  canceled_by text,
  canceled_at timestamptz,
  completed_at timestamptz,
  CONSTRAINT backfills_pkey PRIMARY KEY (tenant_id, backfill_id),
  CONSTRAINT backfills_source_fk FOREIGN KEY (tenant_id, source_id) REFERENCES orch.sources (tenant_id, source_id),
  CONSTRAINT backfills_run_fk FOREIGN KEY (tenant_id, run_id) REFERENCES orch.runs (tenant_id, run_id),
  CONSTRAINT backfills_status_check CHECK (status IN ('active', 'paused', 'completed', 'canceled')),
  CONSTRAINT backfills_window_check CHECK (window_end > window_start),
  CONSTRAINT backfills_step_check CHECK (step_seconds >= 1),
  CONSTRAINT backfills_total_jobs_check CHECK (total_jobs >= 1),
  CONSTRAINT backfills_pause_check CHECK ((status = 'paused') = (paused_by IS NOT NULL AND paused_at IS NOT NULL)),
  CONSTRAINT backfills_cancel_check CHECK (
    (status = 'canceled') = (canceled_reason IS NOT NULL AND canceled_by IS NOT NULL AND canceled_at IS NOT NULL)
  )
);

CREATE UNIQUE INDEX backfills_run ON orch.backfills (tenant_id, run_id);
CREATE UNIQUE INDEX backfills_idempotency_key ON orch.backfills (tenant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX backfills_listing ON orch.backfills (tenant_id, seq DESC);
-- The open backfills of a source and job type: what the overlap check of a new backfill reads.
CREATE INDEX backfills_open ON orch.backfills (tenant_id, source_id, job_type)
  WHERE status IN ('active', 'paused');

-- The event time up to which live ingestion of a source and job type has completed: the greatest
-- event_time of a succeeded live job. Advanced by the completion statement (GREATEST: never back).
CREATE TABLE orch.watermarks (
  tenant_id text NOT NULL,
  source_id text NOT NULL,
  job_type text NOT NULL,
  watermark timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT watermarks_pkey PRIMARY KEY (tenant_id, source_id, job_type),
  CONSTRAINT watermarks_source_fk FOREIGN KEY (tenant_id, source_id) REFERENCES orch.sources (tenant_id, source_id)
);

-- The lane of a job: live traffic, or a backfill's (which the limits engine will cap at a share of each
-- limit). The event time a live job's data belongs to, if its producer said (advances the watermark).
ALTER TABLE orch.jobs
  ADD COLUMN lane text NOT NULL DEFAULT 'live',
  ADD COLUMN event_time timestamptz,
  ADD CONSTRAINT jobs_lane_check CHECK (lane IN ('live', 'backfill'));

-- The unfinished jobs of a run: what a backfill's pause, resume and cancel change, and how its status is
-- found to be completed (none left) without walking its finished jobs.
CREATE INDEX jobs_run_unfinished ON orch.jobs (tenant_id, run_id)
  WHERE run_id IS NOT NULL AND status IN ('waiting', 'pending', 'leased', 'running');
