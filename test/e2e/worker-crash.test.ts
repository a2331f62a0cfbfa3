import { OrchestratorClient, type Job } from '@stella-orch/client';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, requireServices, type TestDatabase } from '@stella-orch/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  E2E_CLIENT,
  startServerProcess,
  startWorkerProcess,
  type ServerProcess,
  type WorkerProcess,
} from './harness.js';

const JOBS = 2_000;

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function allJobs(client: OrchestratorClient): Promise<Job[]> {
  const jobs: Job[] = [];
  for await (const page of client.listAllJobs({ pageSize: 500 })) jobs.push(...page.items);
  return jobs;
}

const postgres = await requireServices(['postgres'], 'end-to-end suite on PostgreSQL');

describe.each([
  { engine: 'PGlite', enabled: true },
  { engine: 'PostgreSQL', enabled: postgres },
])(
  'end to end on $engine: real server, SDK workers in their own processes, one SIGKILLed mid-flight',
  ({ engine, enabled }) => {
    let server: ServerProcess;
    let database: TestDatabase | undefined;
    const workers: WorkerProcess[] = [];
    const tenant = `e2e-${randomUUID().slice(0, 8)}`;
    let client: OrchestratorClient;

    beforeAll(async () => {
      if (!enabled) return;
      database = engine === 'PostgreSQL' ? await createTestDatabase('stella_orch_e2e') : undefined;
      server = await startServerProcess(database === undefined ? {} : { databaseUrl: database.url });
      client = new OrchestratorClient({
        baseUrl: server.url,
        tenant,
        credentials: { ...E2E_CLIENT, scopes: ['orch:read', 'orch:submit', 'orch:worker'] },
      });
    }, 60_000);

    afterAll(async () => {
      if (!enabled) return;
      await Promise.all(workers.map((w) => w.stop()));
      await server.stop();
      await database?.drop();
    });

    it.skipIf(!enabled)(
      'ends every job succeeded exactly once, recovering the killed worker’s jobs after their leases lapse',
      async () => {
        for (let i = 0; i < JOBS; i += 500) {
          await client.submitJobs(
            Array.from({ length: 500 }, (_, j) => ({ jobType: 'e2e.noop', payload: { n: i + j } })),
          );
        }
        // The victim's handlers are slow, so that it surely holds leases mid-flight when it is killed.
        for (let i = 0; i < 4; i++) {
          workers.push(
            await startWorkerProcess(server.url, tenant, `w${i}`, {
              HANDLER_DELAY_MS: i === 0 ? '300' : '10',
            }),
          );
        }
        const victim = workers[0]!;
        const victimStarted = () =>
          Promise.resolve(victim.events.filter((e) => e.event === 'start').length >= 20);
        await waitFor(victimStarted, 60_000, 'the victim to get going');
        victim.child.kill('SIGKILL');
        await new Promise((r) => victim.child.once('exit', r));
        const victimStarts = victim.events.filter((e) => e.event === 'start');

        await waitFor(
          async () => (await client.getJobsSummary()).byStatus.succeeded === JOBS,
          120_000,
          'all jobs to succeed',
        );
        const summary = await client.getJobsSummary();
        expect(summary.total).toBe(JOBS);
        expect(summary.byStatus.succeeded).toBe(JOBS);

        const jobs = await allJobs(client);
        expect(jobs).toHaveLength(JOBS);
        // Every job's history holds exactly one success: its result was accepted once.
        const recovered: Job[] = [];
        for (const job of jobs) {
          expect(job.status).toBe('succeeded');
          if (job.attempt > 1) recovered.push(job);
        }
        const sample = jobs.filter((_, i) => i % 50 === 0).concat(recovered);
        for (const job of sample) {
          const history = await client.getJobHistory(job.jobId);
          expect(history.filter((h) => h.toStatus === 'succeeded')).toHaveLength(1);
        }
        // The jobs the victim held when it died came back after their leases lapsed (timed_out), and were finished elsewhere.
        const finishedByVictim = new Set(
          jobs.filter((j) => (j.result as { by?: string } | null)?.by === victim.name).map((j) => j.jobId),
        );
        const inFlight = victimStarts.filter((e) => !finishedByVictim.has(e.jobId!));
        expect(inFlight.length).toBeGreaterThan(0);
        for (const start of inFlight) {
          const job = jobs.find((j) => j.jobId === start.jobId)!;
          expect(job.attempt).toBeGreaterThan(start.attempt!);
          expect((job.result as { by: string }).by).not.toBe(victim.name);
          const history = await client.getJobHistory(job.jobId);
          expect(history.some((h) => h.reason === 'timed_out')).toBe(true);
        }
        // A stale holder is refused: the victim's lease of a recovered job no longer counts.
        const stale = inFlight[0]!;
        await expect(
          client.completeJob(stale.leaseId!, { fencingToken: stale.fencingToken!, outcome: 'succeeded' }),
        ).rejects.toMatchObject({
          status: 409,
          code: 'LEASE_LOST',
        });
      },
      180_000,
    );

    it.skipIf(!enabled)(
      'retries a retryable failure with back-off and dead-letters a non-retryable one',
      async () => {
        const flaky = await client.submitJob({ jobType: 'e2e.flaky', maxAttempts: 3 });
        const poison = await client.submitJob({ jobType: 'e2e.poison', maxAttempts: 3 });
        await waitFor(
          async () => {
            const [f, p] = await Promise.all([client.getJob(flaky.jobId), client.getJob(poison.jobId)]);
            return f.status === 'succeeded' && p.status === 'failed';
          },
          30_000,
          'the flaky job to succeed and the poison job to fail',
        );
        const flakyHistory = await client.getJobHistory(flaky.jobId);
        const retry =
          flakyHistory.find((h) => h.fromStatus === 'running' && h.toStatus === 'pending') ??
          flakyHistory.find((h) => h.toStatus === 'pending' && h.fromStatus !== null);
        expect(retry).toBeDefined();
        const releasedAgain = flakyHistory.filter((h) => h.toStatus === 'leased');
        expect(releasedAgain).toHaveLength(2);
        // The second lease came no sooner than the worker's retryAfterMs (300 ms) after the failure.
        expect(
          Date.parse(releasedAgain[1]!.occurredAt) - Date.parse(retry!.occurredAt),
        ).toBeGreaterThanOrEqual(290);
        const done = await client.getJob(poison.jobId);
        expect(done.attempt).toBe(1);
        const dlq = await client.listDeadLetters({ status: 'open' });
        expect(dlq.items.map((d) => d.jobId)).toContain(poison.jobId);
      },
      60_000,
    );
  },
);
