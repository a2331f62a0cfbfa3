import { OrchestratorClient } from '@stella-orch/client';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, requireServices, type TestDatabase } from '@stella-orch/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_CLIENT, startServerProcess, type ServerProcess } from './harness.js';

// Two orchestrator processes on one PostgreSQL, workers leasing through both at once: no limit may ever be
// exceeded (docs/decisions/0016-admission-and-limits.md, "Proof").
const CAPPED_SOURCE = { maxConcurrent: 4, burst: 5, refillPerSecond: 40 };
const QUOTA_MAX_ACTIVE = 6;
const CAPPED_JOBS = 120;
const FREE_JOBS = 60;
const WORKERS = 6;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The most intervals that overlap at one instant. */
function maxOverlap(intervals: readonly (readonly [number, number])[]): number {
  const edges = intervals.flatMap(([start, end]) => [
    { at: start, delta: 1 },
    { at: end, delta: -1 },
  ]);
  // Ends before starts at the same instant: touching intervals do not overlap.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let most = 0;
  for (const edge of edges) {
    open += edge.delta;
    most = Math.max(most, open);
  }
  return most;
}

const postgres = await requireServices(['postgres'], 'two server processes on one PostgreSQL under limits');

describe.skipIf(!postgres)('limits across two server processes on one PostgreSQL', () => {
  let database: TestDatabase;
  const servers: ServerProcess[] = [];
  let sql: pg.Client;
  const tenant = `replicas-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    database = await createTestDatabase('stella_orch_replicas');
    // One after the other: the first applies the migrations.
    servers.push(await startServerProcess({ databaseUrl: database.url }));
    servers.push(await startServerProcess({ databaseUrl: database.url }));
    sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
  }, 90_000);

  afterAll(async () => {
    await sql?.end();
    await Promise.all(servers.map((s) => s.stop()));
    await database?.drop();
  });

  it('never leases more than a source concurrency cap, a quota or a rate allows, at any instant', async () => {
    const clients = servers.map(
      (s) =>
        new OrchestratorClient({
          baseUrl: s.url,
          tenant,
          credentials: { ...E2E_CLIENT, scopes: ['orch:read', 'orch:submit', 'orch:worker'] },
        }),
    );
    await sql.query(
      `INSERT INTO orch.sources (tenant_id, source_id, source_type, request_digest, created_by, updated_by,
         rate_limit_burst, rate_limit_refill_per_second, max_concurrent)
       VALUES ($1, 'capped', 'concelier', 'test', 'test', 'test', $2, $3, $4),
              ($1, 'free', 'concelier', 'test', 'test', 'test', NULL, NULL, NULL)`,
      [tenant, CAPPED_SOURCE.burst, CAPPED_SOURCE.refillPerSecond, CAPPED_SOURCE.maxConcurrent],
    );
    await sql.query(
      `INSERT INTO orch.quotas (tenant_id, quota_id, job_type, max_active, reason, request_digest, created_by, updated_by)
       VALUES ($1, $2, 'replica.job', $3, 'test', 'test', 'test', 'test')`,
      [tenant, randomUUID(), QUOTA_MAX_ACTIVE],
    );
    const [producer] = clients;
    for (const [sourceId, count] of [
      ['capped', CAPPED_JOBS],
      ['free', FREE_JOBS],
    ] as const) {
      await producer!.submitJobs(Array.from({ length: count }, () => ({ jobType: 'replica.job', sourceId })));
    }

    // The ledger sampled while the workers run: the jobs in flight, in one snapshot each time.
    let sampling = true;
    let sampledCapped = 0;
    let sampledAll = 0;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await sql.query<{ capped: number; total: number }>(
          `SELECT count(*) FILTER (WHERE source_id = 'capped')::int AS capped, count(*)::int AS total
           FROM orch.jobs WHERE tenant_id = $1 AND status IN ('leased', 'running')`,
          [tenant],
        );
        sampledCapped = Math.max(sampledCapped, rows[0]?.capped ?? 0);
        sampledAll = Math.max(sampledAll, rows[0]?.total ?? 0);
      }
    })();

    // What the workers saw: from the lease answer to the completion call, inside the ledger's interval.
    const held: { sourceId: string | null; interval: [number, number] }[] = [];
    let done = 0;
    const deadline = Date.now() + 60_000;
    const worker = async (index: number) => {
      const client = clients[index % clients.length]!;
      while (done < CAPPED_JOBS + FREE_JOBS && Date.now() < deadline) {
        const grants = await client.leaseJobs({ workerId: `w${index}`, jobTypes: ['replica.job'], limit: 3 });
        const received = performance.now();
        if (grants.length === 0) {
          await sleep(5);
          continue;
        }
        await sleep(10 + Math.random() * 30);
        await Promise.all(
          grants.map(async (grant) => {
            held.push({ sourceId: grant.job.sourceId, interval: [received, performance.now()] });
            await client.completeJob(grant.leaseId, {
              fencingToken: grant.fencingToken,
              outcome: 'succeeded',
            });
            done++;
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)));
    sampling = false;
    await sampler;

    expect(done).toBe(CAPPED_JOBS + FREE_JOBS);
    expect(sampledCapped).toBeLessThanOrEqual(CAPPED_SOURCE.maxConcurrent);
    expect(sampledAll).toBeLessThanOrEqual(QUOTA_MAX_ACTIVE);
    const cappedIntervals = held.filter((h) => h.sourceId === 'capped').map((h) => h.interval);
    expect(maxOverlap(cappedIntervals)).toBeLessThanOrEqual(CAPPED_SOURCE.maxConcurrent);
    expect(maxOverlap(held.map((h) => h.interval))).toBeLessThanOrEqual(QUOTA_MAX_ACTIVE);

    // The capped source's grants kept to its bucket.
    const { rows: grants } = await sql.query<{ at: number }>(
      `SELECT extract(epoch FROM h.occurred_at)::float8 * 1000 AS at
       FROM orch.job_history h JOIN orch.jobs j ON j.tenant_id = h.tenant_id AND j.job_id = h.job_id
       WHERE h.tenant_id = $1 AND h.to_status = 'leased' AND j.source_id = 'capped'
       ORDER BY h.occurred_at`,
      [tenant],
    );
    expect(grants).toHaveLength(CAPPED_JOBS);
    const spanSeconds = (grants.at(-1)!.at - grants[0]!.at) / 1000;
    // capacity + rate × t must cover every grant (a little slack for the clock each transaction reads).
    expect(CAPPED_JOBS).toBeLessThanOrEqual(
      CAPPED_SOURCE.burst + CAPPED_SOURCE.refillPerSecond * (spanSeconds + 0.1),
    );
    const { rows: workers } = await sql.query<{ n: number }>(
      `SELECT count(DISTINCT actor)::int AS n FROM orch.job_history WHERE tenant_id = $1 AND to_status = 'leased'`,
      [tenant],
    );
    // Every worker leased; workers alternate between the processes, so both granted.
    expect(workers[0]?.n).toBe(WORKERS);
  }, 90_000);
});
