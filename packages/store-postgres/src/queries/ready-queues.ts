// The queues of a tenant ($1) with ready work of the requested job types ($2): one per job type and source,
// and one per job type for jobs of no source, each a range of jobs_ready_by_source. The sources are found
// by a skip scan (one index descent per source, however deep its backlog), so a tenant's many sources
// cost a lease call in proportion to their number, not to their backlogs. A fragment of CTEs (`types`,
// `sources`, `queues`) for the lease statements, which need `WITH RECURSIVE`.
export const READY_QUEUES_CTES = `
types AS (
  SELECT DISTINCT t.job_type FROM unnest($2::text[]) AS t(job_type)
),
sources AS (
  SELECT t.job_type,
    (SELECT min(j.source_id) FROM orch.jobs j
     WHERE j.tenant_id = $1 AND j.status = 'pending' AND NOT j.held AND j.job_type = t.job_type) AS source_id
  FROM types t
  UNION ALL
  SELECT s.job_type,
    (SELECT min(j.source_id) FROM orch.jobs j
     WHERE j.tenant_id = $1 AND j.status = 'pending' AND NOT j.held AND j.job_type = s.job_type
       AND j.source_id > s.source_id)
  FROM sources s
  WHERE s.source_id IS NOT NULL
),
queues AS (
  SELECT s.job_type, s.source_id FROM sources s WHERE s.source_id IS NOT NULL
  UNION ALL
  SELECT t.job_type, NULL FROM types t
  WHERE EXISTS (SELECT 1 FROM orch.jobs j
    WHERE j.tenant_id = $1 AND j.status = 'pending' AND NOT j.held AND j.job_type = t.job_type
      AND j.source_id IS NULL)
)`;
