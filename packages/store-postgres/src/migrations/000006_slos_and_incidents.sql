-- 000006_slos_and_incidents: service-level objectives over job outcomes and the incidents their burn
-- rates open (docs/decisions/0012-slos-and-incident-mode.md). Every key and index leads with tenant_id.

-- One objective: the share of terminal jobs (of one type, one source, or all) that must succeed over a
-- rolling window, and the burn-rate thresholds above which an incident opens.
CREATE TABLE orch.slos (
  tenant_id text NOT NULL,
  slo_id uuid NOT NULL,
  -- Listing order (newest first) and the tie-breaker of the page token.
  seq bigint GENERATED ALWAYS AS IDENTITY,
  name text NOT NULL,
  description text,
  -- NULL: jobs of every type / of every source.
  job_type text,
  source_id text,
  -- The share of good outcomes, 0 < objective < 1 (0.99 allows 1 % of failures).
  objective numeric NOT NULL,
  -- The SLO window (the error budget's period), 1 hour to 90 days.
  window_seconds integer NOT NULL DEFAULT 2592000,
  -- The alert policy: burn(1 h) above fast_burn_threshold or burn(6 h) above slow_burn_threshold opens an
  -- incident (the multiwindow policy of the Google SRE workbook: 14.4 and 6 by default).
  fast_burn_threshold numeric NOT NULL DEFAULT 14.4,
  slow_burn_threshold numeric NOT NULL DEFAULT 6,
  pause_source_on_incident boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL,
  CONSTRAINT slos_pkey PRIMARY KEY (tenant_id, slo_id),
  CONSTRAINT slos_name UNIQUE (tenant_id, name),
  CONSTRAINT slos_name_check CHECK (char_length(name) BETWEEN 1 AND 128),
  CONSTRAINT slos_objective_check CHECK (objective > 0 AND objective < 1),
  CONSTRAINT slos_window_check CHECK (window_seconds BETWEEN 3600 AND 7776000),
  CONSTRAINT slos_thresholds_check CHECK (fast_burn_threshold > 0 AND slow_burn_threshold > 0),
  -- Pausing needs a source to pause.
  CONSTRAINT slos_pause_check CHECK (NOT pause_source_on_incident OR source_id IS NOT NULL)
);

CREATE INDEX slos_listing ON orch.slos (tenant_id, seq DESC);

-- Incident mode of one SLO: opened when a burn rate passed its threshold, resolved when every alerting
-- window is back below it. The burn rates at both ends are kept ({"1h": …, "6h": …, "24h": …, "30d": …}).
CREATE TABLE orch.incidents (
  tenant_id text NOT NULL,
  incident_id uuid NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  slo_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'open',
  -- Which alert opened it: fast (1 h) or slow (6 h); both when both passed.
  trigger text NOT NULL,
  opened_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  burn_rates_at_open jsonb NOT NULL,
  burn_rates_at_resolve jsonb,
  -- The source the SLO asked to pause when the incident opened, and whether the pause took.
  paused_source_id text,
  source_paused boolean NOT NULL DEFAULT false,
  CONSTRAINT incidents_pkey PRIMARY KEY (tenant_id, incident_id),
  CONSTRAINT incidents_slo_fk FOREIGN KEY (tenant_id, slo_id)
    REFERENCES orch.slos (tenant_id, slo_id) ON DELETE CASCADE,
  CONSTRAINT incidents_status_check CHECK (status IN ('open', 'resolved')),
  CONSTRAINT incidents_trigger_check CHECK (trigger IN ('fast', 'slow', 'fast+slow')),
  CONSTRAINT incidents_resolved_check CHECK (
    (status = 'resolved') = (resolved_at IS NOT NULL AND burn_rates_at_resolve IS NOT NULL)
  )
);

-- At most one open incident per SLO: two replicas evaluating at once cannot both open one.
CREATE UNIQUE INDEX incidents_one_open ON orch.incidents (tenant_id, slo_id)
  WHERE status = 'open';
CREATE INDEX incidents_listing ON orch.incidents (tenant_id, seq DESC);
CREATE INDEX incidents_slo ON orch.incidents (tenant_id, slo_id, seq DESC);

-- Outcome counts over a window: terminal jobs that count (succeeded, failed) by completion time, with the
-- columns an SLO filters on, so the count is an index-only range scan.
CREATE INDEX jobs_outcomes ON orch.jobs (tenant_id, completed_at) INCLUDE (job_type, source_id, status)
  WHERE status IN ('succeeded', 'failed');
