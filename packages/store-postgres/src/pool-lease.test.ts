import { randomUUID } from 'node:crypto';
import {
  createTestDatabase,
  migratedPgliteImage,
  newJob,
  requireServices,
  TEST_ACTOR,
} from '@stella-orch/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrchestratorError, silentLogger, type LogFields } from '@stella-orch/core';
import { openLedger } from './open-ledger.js';
import { PoolLeaser } from './pool-lease.js';
import { readyTenants } from './queries/ready-tenants.js';

const postgres = await requireServices(['postgres'], 'pool leases on PostgreSQL');
const ENGINES = postgres ? (['PGlite', 'PostgreSQL'] as const) : (['PGlite'] as const);

describe.each(ENGINES)('pool leases across tenants on %s', (engine) => {
  let ledger: Awaited<ReturnType<typeof openLedger>>;
  let drop: () => Promise<void> = () => Promise.resolve();
  beforeAll(async () => {
    if (engine === 'PGlite') {
      ledger = await openLedger({ pgliteImage: await migratedPgliteImage() });
    } else {
      const database = await createTestDatabase();
      ledger = await openLedger({ databaseUrl: database.url });
      drop = () => database.drop();
    }
  });
  afterAll(async () => {
    await ledger.store.close();
    await drop();
  });

  /** Tenants of one test: `<prefix>-<name>`, sorting by name. */
  const tenantsOf = <N extends string[]>(...names: N): { [K in keyof N]: string } => {
    const prefix = `p${randomUUID().slice(0, 8)}`;
    return names.map((name) => `${prefix}-${name}`) as { [K in keyof N]: string };
  };

  async function submit(tenantId: string, jobType: string, count: number, notBefore?: string) {
    const jobs = Array.from({ length: count }, () =>
      newJob({ jobType, ...(notBefore === undefined ? {} : { notBefore }) }),
    );
    await ledger.store.forTenant(tenantId).createJobs({ jobs, actor: TEST_ACTOR });
  }

  const scan = (jobTypes: string[], after = '', through: string | null = null, limit = 1_000) =>
    readyTenants(ledger.driver, { jobTypes, after, through, limit, maxVisited: 10_000 });

  it('finds the tenants with an eligible job of the types, skipping held, later and other work', async () => {
    const jobType = `scan-${randomUUID().slice(0, 8)}`;
    const [ready, held, later, other, both] = tenantsOf('a', 'b', 'c', 'd', 'e');
    await submit(ready, jobType, 3);
    await submit(held, jobType, 2);
    await ledger.driver.query(`UPDATE orch.jobs SET held = true WHERE tenant_id = $1`, [held]);
    await submit(later, jobType, 2, new Date(Date.now() + 3_600_000).toISOString());
    await submit(other, `${jobType}-other`, 2);
    await submit(both, jobType, 1, new Date(Date.now() + 3_600_000).toISOString());
    await submit(both, jobType, 1);

    const found = (await scan([jobType])).filter((t) => t.startsWith(ready.slice(0, 9)));
    expect(found).toEqual([ready, both]);
    expect(
      (await scan([jobType, `${jobType}-other`])).filter((t) => t.startsWith(ready.slice(0, 9))),
    ).toEqual([ready, other, both]);
    // From after one tenant, through another, and at most `limit` of them.
    expect(await scan([jobType], ready)).toEqual([both]);
    expect(await scan([jobType, `${jobType}-other`], '', other)).toEqual([ready, other]);
    expect(await scan([jobType, `${jobType}-other`], '', null, 1)).toEqual([ready]);
  });

  it('deals a batch across tenants; a tenant that runs dry gives the rest to the others', async () => {
    const jobType = `deal-${randomUUID().slice(0, 8)}`;
    const [a, b, c] = tenantsOf('a', 'b', 'c');
    await submit(a, jobType, 1);
    await submit(b, jobType, 20);
    await submit(c, jobType, 20);
    const leased = await ledger.store.leaseAcrossTenants({
      jobTypes: [jobType],
      limit: 9,
      leaseDurationMs: 30_000,
      workerId: 'fleet',
    });
    const count = (tenantId: string) => leased.filter((l) => l.job.tenantId === tenantId).length;
    expect(leased).toHaveLength(9);
    expect([count(a), count(b) + count(c)]).toEqual([1, 8]);
    expect(Math.abs(count(b) - count(c))).toBeLessThanOrEqual(1);
    for (const { job, lease } of leased) {
      expect(job).toMatchObject({ status: 'leased', jobType, lease: { workerId: 'fleet' } });
      expect(lease.leaseId).toBe(job.lease?.leaseId);
    }
    // Each job leased once: the next calls take the rest, then nothing.
    const rest = await ledger.store.leaseAcrossTenants({
      jobTypes: [jobType],
      limit: 100,
      leaseDurationMs: 30_000,
      workerId: 'fleet',
    });
    expect(rest).toHaveLength(32);
    expect(new Set([...leased, ...rest].map((l) => l.job.jobId)).size).toBe(41);
    const none = { jobTypes: [jobType], limit: 5, leaseDurationMs: 30_000, workerId: 'fleet' };
    expect(await ledger.store.leaseAcrossTenants(none)).toEqual([]);
  });

  it('gives each tenant a share of the batch proportional to its weight', async () => {
    const jobType = `weights-${randomUUID().slice(0, 8)}`;
    const [heavy, light] = tenantsOf('heavy', 'light');
    await submit(heavy, jobType, 50);
    await submit(light, jobType, 50);
    const leased = await ledger.store.leaseAcrossTenants({
      jobTypes: [jobType],
      limit: 8,
      leaseDurationMs: 30_000,
      workerId: 'fleet',
      tenantWeights: { [heavy]: 3 },
    });
    expect(leased.filter((l) => l.job.tenantId === heavy).length).toBe(6);
    expect(leased.filter((l) => l.job.tenantId === light).length).toBe(2);
  });

  it('hands out the leases granted before a tenant’s grant failed, and fails only when none were', async () => {
    const jobType = `fail-${randomUUID().slice(0, 8)}`;
    const [a, b] = tenantsOf('a', 'b');
    await submit(a, jobType, 5);
    await submit(b, jobType, 5);
    const warnings: LogFields[] = [];
    const failure = new OrchestratorError('STORE_UNAVAILABLE', 'the ledger is down');
    const leaser = (failing: string) =>
      new PoolLeaser({
        db: ledger.driver,
        forTenant: (tenantId) => {
          const tenant = ledger.store.forTenant(tenantId);
          return tenantId === failing ? { ...tenant, leaseJobs: () => Promise.reject(failure) } : tenant;
        },
        logger: { ...silentLogger, warn: (fields) => warnings.push(fields) },
      });
    const request = { jobTypes: [jobType], limit: 4, leaseDurationMs: 30_000, workerId: 'fleet' };
    // a comes first: its two leases are handed out, b's failure is logged.
    const leased = await leaser(b).lease(request);
    expect(leased.map((l) => l.job.tenantId)).toEqual([a, a]);
    expect(warnings).toEqual([expect.objectContaining({ tenantId: b })]);
    // Failing first, nothing granted: the error is the call's.
    await expect(leaser(a).lease(request)).rejects.toBe(failure);
  });
});
