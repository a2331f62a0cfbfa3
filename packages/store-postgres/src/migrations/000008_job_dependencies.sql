-- 000008_job_dependencies: dependency chains (DAG) between jobs of one tenant
-- (docs/decisions/0014-job-dependencies.md).
--
-- One row per edge "job_id depends on depends_on_job_id", written with the child in the transaction that
-- creates it and never changed: the graph of a job is fixed when it is submitted, so cycles can only be
-- made inside one batch, where the submit refuses them. Release (a child becomes pending once every parent
-- succeeded) and cascade (a parent that ends failed or canceled cancels its waiting descendants) walk these
-- rows. orch.jobs.depends_on keeps the same parent ids, in submission order, as the job's own copy for reads.
CREATE TABLE orch.job_dependencies (
  tenant_id text NOT NULL,
  job_id uuid NOT NULL,
  depends_on_job_id uuid NOT NULL,
  CONSTRAINT job_dependencies_pkey PRIMARY KEY (tenant_id, job_id, depends_on_job_id),
  CONSTRAINT job_dependencies_job_fk FOREIGN KEY (tenant_id, job_id)
    REFERENCES orch.jobs (tenant_id, job_id) ON DELETE CASCADE,
  CONSTRAINT job_dependencies_parent_fk FOREIGN KEY (tenant_id, depends_on_job_id)
    REFERENCES orch.jobs (tenant_id, job_id) ON DELETE CASCADE,
  CONSTRAINT job_dependencies_not_self CHECK (job_id <> depends_on_job_id)
);

-- The children of a parent: what release and cascade look up when the parent ends.
CREATE INDEX job_dependencies_children ON orch.job_dependencies (tenant_id, depends_on_job_id);

-- Set (once, never cleared) on a job when the first job depending on it is submitted, by the submit that
-- locks the parent row. Ending an attempt reads it from the row it locks, so a job nobody depends on ends
-- in one statement, and a parent whose child committed while its completion waited for the row is seen.
ALTER TABLE orch.jobs ADD COLUMN has_dependents boolean NOT NULL DEFAULT false;
