import { randomUUID } from 'node:crypto';
import {
  type AuditEntry,
  type AuditTrail,
  type DeadLetterStore,
  type Job,
  type JobStore,
  type JobSubmission,
  type ReplayFilter,
  type TenantDeadLetterStore,
  type TenantJobStore,
} from '@stella-orch/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { operatorAudit, wholeChain, type LedgerSql } from './audit-fixtures.js';
import {
  cloneIdentity,
  createOne,
  expectCode,
  leaseOne,
  NO_BACKOFF,
  TEST_ACTOR,
} from './job-store-fixtures.js';
import { insertSourceRow } from './sources.testsuite.js';

/** The ledger under test: its job store, dead-letter store and audit trail, and raw SQL on it. */
export interface DeadLetterLedger {
  readonly store: JobStore;
  readonly deadLetters: DeadLetterStore;
  readonly audit: AuditTrail;
  readonly sql: LedgerSql;
}

/** Makes the ledger under test, and removes what it made. */
export type DeadLetterStoreFactory = () => Promise<DeadLetterLedger & { cleanup(): Promise<void> }>;

/** One tenant of the ledger under test. */
interface Tenant {
  readonly tenantId: string;
  readonly jobs: TenantJobStore;
  readonly dlq: TenantDeadLetterStore;
}

const FAILED_ONLY: ReplayFilter = { statuses: ['failed'] };

/**
 * The conformance suite of the {@link DeadLetterStore} port (dead-letter listing, stats, summary, replay,
 * resolve, and replay by filter): every adapter must pass it unchanged. Each test works in a tenant of
 * its own.
 */
export function deadLetterStoreConformance(name: string, factory: DeadLetterStoreFactory): void {
  describe(`DeadLetterStore conformance: ${name}`, () => {
    let made: Awaited<ReturnType<DeadLetterStoreFactory>> | undefined;
    const ledger = (): DeadLetterLedger => {
      if (made === undefined) throw new Error('the ledger under test was not made (see beforeAll)');
      return made;
    };
    const freshTenant = (): Tenant => {
      const tenantId = `tenant-${randomUUID()}`;
      return {
        tenantId,
        jobs: ledger().store.forTenant(tenantId),
        dlq: ledger().deadLetters.forTenant(tenantId),
      };
    };
    const chainOf = (tenant: Tenant): Promise<AuditEntry[]> =>
      wholeChain(ledger().audit.forTenant(tenant.tenantId));
    const eventTypes = async (tenant: Tenant): Promise<string[]> =>
      (
        await ledger().sql.query<{ event_type: string }>(
          'SELECT event_type FROM orch.events WHERE tenant_id = $1 ORDER BY event_id',
          [tenant.tenantId],
        )
      ).map((row) => row.event_type);
    const jobCount = async (tenant: Tenant): Promise<number> =>
      (
        await ledger().sql.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM orch.jobs WHERE tenant_id = $1',
          [tenant.tenantId],
        )
      )[0]?.n ?? -1;

    const registered = new Set<string>();

    beforeAll(async () => {
      made = await factory();
    });
    afterAll(async () => {
      await made?.cleanup();
    });

    test('the listing filters by status, job type, source, error type and creation time', async () => {
      const tenant = freshTenant();
      const a = await deadLettered(tenant, { jobType: 'dl.a', sourceId: 'nvd' }, 'Timeout');
      const b = await deadLettered(tenant, { jobType: 'dl.b', sourceId: 'osv' }, 'Malformed');
      const c = await deadLettered(tenant, { jobType: 'dl.a' }, 'Malformed');
      const ids = async (query: Parameters<TenantJobStore['listDeadLetters']>[0]) =>
        (await tenant.jobs.listDeadLetters(query)).items.map((e) => e.jobId);

      expect(await ids({ pageSize: 10, jobType: 'dl.a' })).toEqual([c.jobId, a.jobId]);
      expect(await ids({ pageSize: 10, sourceId: 'osv' })).toEqual([b.jobId]);
      expect(await ids({ pageSize: 10, errorType: 'Malformed' })).toEqual([c.jobId, b.jobId]);
      expect(await ids({ pageSize: 10, errorType: 'Malformed', jobType: 'dl.a' })).toEqual([c.jobId]);
      const [entryOfB] = (await tenant.jobs.listDeadLetters({ pageSize: 10, sourceId: 'osv' })).items;
      expect(entryOfB).toMatchObject({
        sourceId: 'osv',
        status: 'open',
        replayedJobId: null,
        resolutionNote: null,
      });
      expect(await ids({ pageSize: 10, createdAfter: entryOfB!.createdAt })).toEqual([c.jobId, b.jobId]);
      expect(await ids({ pageSize: 10, createdBefore: entryOfB!.createdAt })).toEqual([a.jobId]);
      expect(await ids({ pageSize: 10, createdAfter: '2999-01-01T00:00:00.000Z' })).toEqual([]);
      // Pages keep the filters.
      const first = await tenant.jobs.listDeadLetters({ pageSize: 1, errorType: 'Malformed' });
      const second = await tenant.jobs.listDeadLetters({
        pageSize: 1,
        errorType: 'Malformed',
        pageToken: first.nextPageToken!,
      });
      expect([...first.items, ...second.items].map((e) => e.jobId)).toEqual([c.jobId, b.jobId]);
      expect(second.nextPageToken).toBeNull();
    });

    test('an entry is found by id in its own tenant only', async () => {
      const tenant = freshTenant();
      const job = await deadLettered(tenant, { sourceId: 'src-1' }, 'Fatal');
      const [listed] = (await tenant.jobs.listDeadLetters({ pageSize: 1 })).items;
      expect(await tenant.dlq.getDeadLetter(listed!.entryId)).toEqual(listed);
      expect(listed).toMatchObject({ jobId: job.jobId, sourceId: 'src-1', errorType: 'Fatal' });
      expect(await freshTenant().dlq.getDeadLetter(listed!.entryId)).toBeNull();
      expect(await tenant.dlq.getDeadLetter('not-a-uuid')).toBeNull();
      expect(await tenant.dlq.getDeadLetter(randomUUID())).toBeNull();
    });

    test('stats count entries by status, rank the open error types and name the oldest open entry', async () => {
      const tenant = freshTenant();
      expect(await tenant.dlq.deadLetterStats({ top: 5 })).toEqual({
        total: 0,
        byStatus: { open: 0, replayed: 0, resolved: 0 },
        topErrorTypes: [],
        oldestOpen: null,
      });
      const first = await deadLettered(tenant, {}, 'Timeout');
      for (const type of ['Malformed', 'Malformed', 'Timeout', 'Auth', 'Malformed']) {
        await deadLettered(tenant, {}, type);
      }
      const entries = (await tenant.jobs.listDeadLetters({ pageSize: 10 })).items;
      const oldest = entries.at(-1)!;
      expect(oldest.jobId).toBe(first.jobId);
      await tenant.dlq.resolveDeadLetter({
        entryId: oldest.entryId,
        note: 'known outage',
        actor: TEST_ACTOR,
      });
      await tenant.dlq.replayDeadLetter({
        entryId: entries[0]!.entryId,
        newJob: cloneIdentity(),
        actor: TEST_ACTOR,
      });

      const stats = await tenant.dlq.deadLetterStats({ top: 2 });
      expect(stats).toMatchObject({
        total: 6,
        byStatus: { open: 4, replayed: 1, resolved: 1 },
        topErrorTypes: [
          { errorType: 'Malformed', count: 2 },
          { errorType: 'Auth', count: 1 },
        ],
      });
      expect(stats.oldestOpen).toMatchObject({ entryId: entries[4]!.entryId, jobType: 'test.job' });
    });

    test('the summary groups open entries by job type, error type and source', async () => {
      const tenant = freshTenant();
      await deadLettered(tenant, { jobType: 'scan', sourceId: 'nvd' }, 'Timeout', 'first timeout');
      await deadLettered(tenant, { jobType: 'scan', sourceId: 'nvd' }, 'Timeout', 'second timeout');
      await deadLettered(tenant, { jobType: 'scan' }, 'Timeout', 'no source');
      const closed = await deadLettered(tenant, { jobType: 'fetch', sourceId: 'nvd' }, 'Auth', 'closed');
      const [closedEntry] = (await tenant.jobs.listDeadLetters({ pageSize: 1 })).items;
      expect(closedEntry!.jobId).toBe(closed.jobId);
      await tenant.dlq.resolveDeadLetter({ entryId: closedEntry!.entryId, note: 'ok', actor: TEST_ACTOR });

      const summary = await tenant.dlq.summarizeDeadLetters();
      expect(summary.totalOpen).toBe(3);
      expect(summary.truncated).toBe(false);
      expect(summary.groups).toMatchObject([
        { jobType: 'scan', errorType: 'Timeout', sourceId: 'nvd', count: 2, sampleMessage: 'second timeout' },
        { jobType: 'scan', errorType: 'Timeout', sourceId: null, count: 1, sampleMessage: 'no source' },
      ]);
      const group = summary.groups[0]!;
      expect(Date.parse(group.firstSeenAt)).toBeLessThanOrEqual(Date.parse(group.lastSeenAt));
      expect(await freshTenant().dlq.summarizeDeadLetters()).toEqual({
        totalOpen: 0,
        groups: [],
        truncated: false,
      });
    });

    test('a replay clones the job, closes the entry and audits it, once', async () => {
      const tenant = freshTenant();
      const original = await deadLettered(
        tenant,
        { jobType: 'replay.me', payload: { cve: 'CVE-1' } },
        'Fatal',
      );
      const [entry] = (await tenant.jobs.listDeadLetters({ pageSize: 1 })).items;
      const identity = cloneIdentity('dlq-click-1');
      const audit = operatorAudit();

      const replayed = await tenant.dlq.replayDeadLetter({
        entryId: entry!.entryId,
        newJob: identity,
        actor: TEST_ACTOR,
        audit,
      });
      expect(replayed.created).toBe(true);
      expect(replayed.job).toMatchObject({
        jobId: identity.jobId,
        jobType: 'replay.me',
        status: 'pending',
        replayOf: original.jobId,
        payload: { cve: 'CVE-1' },
      });
      expect(replayed.entry).toMatchObject({ status: 'replayed', replayedJobId: identity.jobId });
      expect(await tenant.jobs.getJob(original.jobId)).toMatchObject({ status: 'failed' });

      const chain = await chainOf(tenant);
      expect(chain).toHaveLength(1);
      expect(chain[0]).toMatchObject({
        action: 'deadletter.replay',
        resourceType: 'dead_letter',
        resourceId: entry!.entryId,
        before: { status: 'open', jobId: original.jobId },
        after: {
          status: 'replayed',
          jobId: original.jobId,
          replayedJobId: identity.jobId,
          replayedJobCreated: true,
        },
        reason: audit.reason,
        ticket: audit.ticket,
        correlationId: audit.correlationId,
      });
      expect(await eventTypes(tenant)).toContain('operator.deadletter.replay');

      // The same click again: the same job, nothing written.
      const repeat = await tenant.dlq.replayDeadLetter({
        entryId: entry!.entryId,
        newJob: cloneIdentity('dlq-click-1'),
        actor: TEST_ACTOR,
      });
      expect(repeat).toMatchObject({ created: false, job: { jobId: identity.jobId } });
      // Another replay of a closed entry is refused, and writes nothing either.
      const jobsBefore = await jobCount(tenant);
      const refused = await expectCode(
        tenant.dlq.replayDeadLetter({ entryId: entry!.entryId, newJob: cloneIdentity(), actor: TEST_ACTOR }),
        'DEAD_LETTER_NOT_OPEN',
      );
      expect(refused).toMatchObject({ details: { status: 'replayed', replayedJobId: identity.jobId } });
      await expectCode(
        tenant.dlq.resolveDeadLetter({ entryId: entry!.entryId, note: 'late', actor: TEST_ACTOR }),
        'DEAD_LETTER_NOT_OPEN',
      );
      expect(await jobCount(tenant)).toBe(jobsBefore);
      expect(await chainOf(tenant)).toHaveLength(1);
    });

    test('replay and resolve of an unknown entry, or one of another tenant, are DEAD_LETTER_NOT_FOUND', async () => {
      const tenant = freshTenant();
      await deadLettered(tenant, {}, 'Fatal');
      const [entry] = (await tenant.jobs.listDeadLetters({ pageSize: 1 })).items;
      const stranger = freshTenant();
      for (const entryId of [entry!.entryId, randomUUID(), 'nope']) {
        await expectCode(
          stranger.dlq.replayDeadLetter({ entryId, newJob: cloneIdentity(), actor: TEST_ACTOR }),
          'DEAD_LETTER_NOT_FOUND',
        );
        await expectCode(
          stranger.dlq.resolveDeadLetter({ entryId, note: 'x', actor: TEST_ACTOR }),
          'DEAD_LETTER_NOT_FOUND',
        );
      }
      expect(await tenant.dlq.getDeadLetter(entry!.entryId)).toMatchObject({ status: 'open' });
      expect(await chainOf(stranger)).toEqual([]);
    });

    test('a resolve keeps the note and who resolved, audited; a second one is refused', async () => {
      const tenant = freshTenant();
      const job = await deadLettered(tenant, {}, 'Fatal');
      const [entry] = (await tenant.jobs.listDeadLetters({ pageSize: 1 })).items;
      const resolved = await tenant.dlq.resolveDeadLetter({
        entryId: entry!.entryId,
        note: 'upstream fixed the advisory; no replay needed',
        actor: TEST_ACTOR,
        audit: operatorAudit(),
      });
      expect(resolved).toMatchObject({
        status: 'resolved',
        resolutionNote: 'upstream fixed the advisory; no replay needed',
        resolvedBy: TEST_ACTOR.subject,
        replayedJobId: null,
      });
      expect(resolved.resolvedAt).not.toBeNull();
      const [audited] = await chainOf(tenant);
      expect(audited).toMatchObject({
        action: 'deadletter.resolve',
        resourceId: entry!.entryId,
        before: { status: 'open', jobId: job.jobId },
        after: { status: 'resolved', note: 'upstream fixed the advisory; no replay needed' },
      });
      expect(await eventTypes(tenant)).toContain('operator.deadletter.resolve');
      await expectCode(
        tenant.dlq.resolveDeadLetter({ entryId: entry!.entryId, note: 'again', actor: TEST_ACTOR }),
        'DEAD_LETTER_NOT_OPEN',
      );
      await expectCode(
        tenant.dlq.replayDeadLetter({ entryId: entry!.entryId, newJob: cloneIdentity(), actor: TEST_ACTOR }),
        'DEAD_LETTER_NOT_OPEN',
      );
      expect(await chainOf(tenant)).toHaveLength(1);
    });

    test('a retry of a dead-lettered job records the job it made on the entry', async () => {
      const tenant = freshTenant();
      const job = await deadLettered(tenant, {}, 'Fatal');
      const identity = cloneIdentity();
      await tenant.jobs.retryJob({ jobId: job.jobId, newJob: identity, actor: TEST_ACTOR });
      const [entry] = (await tenant.jobs.listDeadLetters({ pageSize: 1 })).items;
      expect(entry).toMatchObject({ status: 'replayed', replayedJobId: identity.jobId });
    });

    test('a replay preview counts the matches by job type and source and writes nothing', async () => {
      const tenant = freshTenant();
      await deadLettered(tenant, { jobType: 'p.a', sourceId: 'nvd' }, 'Fatal');
      await deadLettered(tenant, { jobType: 'p.a', sourceId: 'osv' }, 'Fatal');
      await deadLettered(tenant, { jobType: 'p.b', sourceId: 'nvd' }, 'Fatal');
      const done = await succeeded(tenant, { jobType: 'p.a', sourceId: 'nvd' });
      await createOne(tenant.jobs, { jobType: 'p.a' }); // pending: never replayed

      const jobsBefore = await jobCount(tenant);
      expect(await tenant.dlq.previewReplay(FAILED_ONLY)).toEqual({
        total: 3,
        byJobType: [
          { jobType: 'p.a', count: 2 },
          { jobType: 'p.b', count: 1 },
        ],
        bySource: [
          { sourceId: 'nvd', count: 2 },
          { sourceId: 'osv', count: 1 },
        ],
      });
      expect(
        (await tenant.dlq.previewReplay({ statuses: ['failed', 'succeeded'], sourceId: 'nvd' })).total,
      ).toBe(3);
      expect((await tenant.dlq.previewReplay({ statuses: ['succeeded'] })).total).toBe(1);
      expect(
        (await tenant.dlq.previewReplay({ statuses: ['succeeded'], createdAfter: done.createdAt })).total,
      ).toBe(1);
      expect(
        (await tenant.dlq.previewReplay({ statuses: ['succeeded'], createdBefore: done.createdAt })).total,
      ).toBe(0);
      expect((await tenant.dlq.previewReplay({ ...FAILED_ONLY, deadLetterStatus: 'open' })).total).toBe(3);
      expect((await freshTenant().dlq.previewReplay(FAILED_ONLY)).total).toBe(0);
      expect(await jobCount(tenant)).toBe(jobsBefore);
      expect(await chainOf(tenant)).toEqual([]);
    });

    test('a replay by filter clones every match in one audited transaction and closes their entries', async () => {
      const tenant = freshTenant();
      const originals: Job[] = [];
      for (const jobType of ['b.a', 'b.b', 'b.a'])
        originals.push(await deadLettered(tenant, { jobType }, 'Fatal'));
      await succeeded(tenant, { jobType: 'b.a' });
      const replayId = randomUUID();
      const identities = new Map<string, ReturnType<typeof cloneIdentity>>();
      const result = await tenant.dlq.replayJobs({
        filter: { ...FAILED_ONLY, deadLetterStatus: 'open' },
        max: 3,
        replayId,
        identityFor: (original) => {
          const identity = cloneIdentity(`bulk-1:${original}`);
          identities.set(original, identity);
          return identity;
        },
        actor: TEST_ACTOR,
        audit: operatorAudit(),
      });
      expect(result).toMatchObject({
        replayId,
        total: 3,
        created: 3,
        existing: 0,
        deadLettersReplayed: 3,
        byJobType: [
          { jobType: 'b.a', count: 2 },
          { jobType: 'b.b', count: 1 },
        ],
      });
      expect(result.jobs.map((j) => j.replayOf)).toEqual(originals.map((o) => o.jobId));
      for (const { replayOf, jobId } of result.jobs) {
        expect(jobId).toBe(identities.get(replayOf)!.jobId);
        expect(await tenant.jobs.getJob(jobId)).toMatchObject({ status: 'pending', replayOf });
        const history = await tenant.jobs.listJobHistory(jobId);
        expect(history?.[0]).toMatchObject({ reason: 'replayed', details: { replayId } });
      }
      const entries = (await tenant.jobs.listDeadLetters({ pageSize: 10 })).items;
      expect(entries.map((e) => [e.status, e.replayedJobId])).toEqual(
        [...originals].reverse().map((o) => ['replayed', identities.get(o.jobId)!.jobId]),
      );
      const chain = await chainOf(tenant);
      expect(chain).toHaveLength(1);
      expect(chain[0]).toMatchObject({
        action: 'job.bulk_replay',
        resourceType: 'replay',
        resourceId: replayId,
        before: { statuses: ['failed'], deadLetterStatus: 'open', max: 3 },
        after: { matched: 3, created: 3, existing: 0, deadLettersReplayed: 3 },
      });
      expect(await eventTypes(tenant)).toContain('operator.job.bulk_replay');

      // The same request again with the same keys: the filter (open entries) matches nothing now.
      const again = await tenant.dlq.replayJobs({
        filter: { ...FAILED_ONLY, deadLetterStatus: 'open' },
        max: 3,
        replayId: randomUUID(),
        identityFor: (original) => cloneIdentity(`bulk-1:${original}`),
        actor: TEST_ACTOR,
      });
      expect(again).toMatchObject({ total: 0, created: 0, jobs: [] });
      // Without the entry filter, the same keys find the same clones.
      const repeat = await tenant.dlq.replayJobs({
        filter: { ...FAILED_ONLY, jobType: 'b.b' },
        max: 3,
        replayId: randomUUID(),
        identityFor: (original) => cloneIdentity(`bulk-1:${original}`),
        actor: TEST_ACTOR,
      });
      expect(repeat).toMatchObject({ total: 1, created: 0, existing: 1 });
      expect(repeat.jobs[0]!.jobId).toBe(identities.get(originals[1]!.jobId)!.jobId);
    });

    test('a replay by filter matching more than max is REPLAY_LIMIT_EXCEEDED and writes nothing', async () => {
      const tenant = freshTenant();
      for (let i = 0; i < 3; i++) await deadLettered(tenant, { jobType: 'limit' }, 'Fatal');
      const jobsBefore = await jobCount(tenant);
      const error = await expectCode(
        tenant.dlq.replayJobs({
          filter: FAILED_ONLY,
          max: 2,
          replayId: randomUUID(),
          identityFor: () => cloneIdentity(),
          actor: TEST_ACTOR,
        }),
        'REPLAY_LIMIT_EXCEEDED',
      );
      expect(error).toMatchObject({ details: { matched: 3, max: 2 } });
      expect(await jobCount(tenant)).toBe(jobsBefore);
      expect(await chainOf(tenant)).toEqual([]);
      expect((await tenant.dlq.deadLetterStats({ top: 1 })).byStatus.open).toBe(3);
    });

    /** A job that ends `failed` for good with an error of `type`, and so a dead-letter entry. */
    async function deadLettered(
      tenant: Tenant,
      submission: Partial<JobSubmission>,
      type: string,
      message = `${type} happened`,
    ): Promise<Job> {
      const job = await submit(tenant, submission);
      const { lease } = await leaseOne(tenant.jobs, { jobType: job.jobType });
      const completed = await tenant.jobs.completeJob({
        ...lease,
        outcome: 'failed',
        error: { type, message, retryable: false },
        retryDelaysMs: NO_BACKOFF,
      });
      expect(completed.disposition).toBe('dead_lettered');
      return completed.job;
    }

    /** Submits a job, registering its source first (straight in the ledger: no audit entry, no event). */
    async function submit(tenant: Tenant, submission: Partial<JobSubmission>): Promise<Job> {
      const { sourceId } = submission;
      if (sourceId !== undefined && !registered.has(`${tenant.tenantId}/${sourceId}`)) {
        await insertSourceRow(ledger().sql, tenant.tenantId, sourceId);
        registered.add(`${tenant.tenantId}/${sourceId}`);
      }
      return createOne(tenant.jobs, submission);
    }

    /** A job that ends `succeeded`. */
    async function succeeded(tenant: Tenant, submission: Partial<JobSubmission>): Promise<Job> {
      const job = await submit(tenant, submission);
      const { lease } = await leaseOne(tenant.jobs, { jobType: job.jobType });
      return (await tenant.jobs.completeJob({ ...lease, outcome: 'succeeded', retryDelaysMs: [] })).job;
    }
  });
}
