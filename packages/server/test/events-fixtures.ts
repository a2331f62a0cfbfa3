import { DEFAULT_EVENTS_CONFIG, type EventsConfig } from '../src/index.js';
import type { Harness } from './harness.js';

/** Stream settings for tests: quick polls and keep-alives, a small buffer bound and a short grace. */
export const TEST_EVENTS_CONFIG: EventsConfig = {
  ...DEFAULT_EVENTS_CONFIG,
  pollIntervalMs: 20,
  heartbeatIntervalMs: 200,
  maxBufferedBytes: 1_024,
  slowConsumerGraceMs: 500,
};

/** Submits `count` jobs of `jobType` for the harness's current tenant, in batches of up to 1,000. */
export async function submitJobs(
  h: Harness,
  count: number,
  submission: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<string[]> {
  const ids: string[] = [];
  for (let done = 0; done < count; done += 1_000) {
    const jobs = Array.from({ length: Math.min(1_000, count - done) }, () => ({
      jobType: 'ev.test',
      ...submission,
    }));
    const res = await h.call('POST', '/jobs/batch', { jobs }, headers);
    if (res.statusCode !== 201 && res.statusCode !== 200)
      throw new Error(`submit: ${res.statusCode} ${res.body}`);
    ids.push(...res.json<{ jobs: { jobId: string }[] }>().jobs.map((j) => j.jobId));
  }
  return ids;
}

/** The number of events the tenant's log holds. */
export async function eventCount(h: Harness, tenantId: string): Promise<number> {
  const [row] = await h.driver.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM orch.events WHERE tenant_id = $1',
    [tenantId],
  );
  return row?.n ?? 0;
}

/** Bearer headers. */
export function bearer(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, ...extra };
}
