import type { SqlExecutor } from '../sql-driver.js';

/** Good and bad counts per window, read at `as_of`. */
export interface SloOutcomeRow {
  readonly as_of: Date | string;
  readonly good_1h: number;
  readonly bad_1h: number;
  readonly good_6h: number;
  readonly bad_6h: number;
  readonly good_24h: number;
  readonly bad_24h: number;
  readonly good_30d: number;
  readonly bad_30d: number;
  readonly good_slo: number;
  readonly bad_slo: number;
}

function counted(outcome: 'succeeded' | 'failed', since: string, name: string): string {
  return `count(*) FILTER (WHERE j.status = '${outcome}' AND j.completed_at > now() - ${since})::int AS ${name}`;
}

const WINDOWS = [
  ['1h', `interval '1 hour'`],
  ['6h', `interval '6 hours'`],
  ['24h', `interval '24 hours'`],
  ['30d', `interval '30 days'`],
  ['slo', `make_interval(secs => $4::int)`],
] as const;

// Every window of one SLO in one statement: one range scan of the jobs_outcomes index (terminal jobs by
// completion time) over the longest window, each count a FILTER of it. Canceled jobs are not in the index.
const COUNT_OUTCOMES = `
SELECT now() AS as_of,
  ${WINDOWS.flatMap(([name, since]) => [counted('succeeded', since, `good_${name}`), counted('failed', since, `bad_${name}`)]).join(',\n  ')}
FROM orch.jobs j
WHERE j.tenant_id = $1
  AND j.status IN ('succeeded', 'failed')
  AND j.completed_at > now() - make_interval(secs => greatest($4::int, 2592000))
  AND j.completed_at <= now()
  AND ($2::text IS NULL OR j.job_type = $2::text)
  AND ($3::text IS NULL OR j.source_id = $3::text)`;

/** The outcome counts of the jobs an SLO covers, over every burn window and its own window. */
export async function countSloOutcomes(
  db: SqlExecutor,
  params: {
    readonly tenantId: string;
    readonly jobType: string | null;
    readonly sourceId: string | null;
    readonly windowSeconds: number;
  },
): Promise<SloOutcomeRow> {
  const [row] = await db.query<SloOutcomeRow>(COUNT_OUTCOMES, [
    params.tenantId,
    params.jobType,
    params.sourceId,
    params.windowSeconds,
  ]);
  if (row === undefined) throw new Error('an aggregate without GROUP BY returned no row');
  return row;
}
