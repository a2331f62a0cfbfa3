-- 000007_sources: registered producers of work (docs/decisions/0013-sources.md).
-- A job or run naming a source needs the source registered for its tenant (the foreign keys below). A
-- disabled source takes no new jobs (the submit path refuses them); the queued jobs of a paused or a disabled
-- source are held: they stay pending but are never leased until the source is resumed and enabled.

CREATE TABLE orch.sources (
  tenant_id text NOT NULL,
  -- The identifier rule of every other id a caller names (core/src/job-submission.ts).
  source_id text NOT NULL,
  source_type text NOT NULL,
  display_name text,
  description text,
  enabled boolean NOT NULL DEFAULT true,
  paused boolean NOT NULL DEFAULT false,
  pause_reason text,
  pause_ticket text,
  paused_by text,
  paused_at timestamptz,
  -- A token bucket: up to burst jobs at once, refilled at refill_per_second. Both NULL: unlimited. Stored
  -- only: the limits engine enforces it (a later migration may add its bucket state).
  rate_limit_burst integer,
  rate_limit_refill_per_second double precision,
  -- Grows by one with every change: the ETag of optimistic updates.
  version integer NOT NULL DEFAULT 1,
  -- The Idempotency-Key of the registration, if any, and the digest of what it asked for.
  idempotency_key text,
  request_digest text NOT NULL,
  -- Listing order: oldest first, stable across pages.
  seq bigint GENERATED ALWAYS AS IDENTITY,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT sources_pkey PRIMARY KEY (tenant_id, source_id),
  CONSTRAINT sources_source_id_check CHECK (source_id ~ '^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,255}$'),
  CONSTRAINT sources_source_type_check CHECK (source_type ~ '^[a-z][a-z0-9._-]{0,63}$'),
  CONSTRAINT sources_display_name_check CHECK (char_length(display_name) BETWEEN 1 AND 256),
  CONSTRAINT sources_description_check CHECK (char_length(description) <= 2048),
  -- A pause carries its reason; a resumed source keeps none.
  CONSTRAINT sources_pause_check CHECK (
    paused = (pause_reason IS NOT NULL AND paused_by IS NOT NULL AND paused_at IS NOT NULL)
    AND (paused OR pause_ticket IS NULL)
  ),
  CONSTRAINT sources_rate_limit_check CHECK (
    (rate_limit_burst IS NULL AND rate_limit_refill_per_second IS NULL)
    OR (rate_limit_burst BETWEEN 1 AND 1000000
      AND rate_limit_refill_per_second > 0 AND rate_limit_refill_per_second <= 100000)
  ),
  CONSTRAINT sources_version_check CHECK (version >= 1)
);

CREATE INDEX sources_listing ON orch.sources (tenant_id, seq);
CREATE UNIQUE INDEX sources_idempotency_key ON orch.sources (tenant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- Sources named before this migration are registered for their tenants (type 'unspecified'), so that the
-- foreign keys below hold for every existing row.
INSERT INTO orch.sources (tenant_id, source_id, source_type, request_digest, created_by, updated_by)
SELECT DISTINCT tenant_id, source_id, 'unspecified', 'migration', 'system:migration', 'system:migration'
FROM (
  SELECT tenant_id, source_id FROM orch.jobs WHERE source_id IS NOT NULL
  UNION
  SELECT tenant_id, source_id FROM orch.runs WHERE source_id IS NOT NULL
) named
ORDER BY tenant_id, source_id;

ALTER TABLE orch.jobs
  ADD CONSTRAINT jobs_source_fk FOREIGN KEY (tenant_id, source_id) REFERENCES orch.sources (tenant_id, source_id);
ALTER TABLE orch.runs
  ADD CONSTRAINT runs_source_fk FOREIGN KEY (tenant_id, source_id) REFERENCES orch.sources (tenant_id, source_id);

-- Whether the job's source is paused or disabled. Kept on every unfinished job of the source by the pause,
-- resume, enable and disable actions (in their transaction, with the source row locked) and set from the
-- source when a job is inserted; the ready index leaves held jobs out, so a paused source with a large
-- backlog costs the lease query nothing.
ALTER TABLE orch.jobs ADD COLUMN held boolean NOT NULL DEFAULT false;

DROP INDEX orch.jobs_ready;
-- Ready work, in lease order: highest priority first, FIFO within a priority; held jobs are not ready.
CREATE INDEX jobs_ready ON orch.jobs (tenant_id, job_type, priority DESC, seq)
  WHERE status = 'pending' AND NOT held;
-- The unfinished jobs of a source, which its pause, resume, enable and disable hold or release.
CREATE INDEX jobs_source_unfinished ON orch.jobs (tenant_id, source_id)
  WHERE source_id IS NOT NULL AND status IN ('waiting', 'pending', 'leased', 'running');
