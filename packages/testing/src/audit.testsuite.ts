import { randomUUID } from 'node:crypto';
import { GENESIS_PREV_HASH, type AuditTrail, type JobStore } from '@stella-orch/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { auditLedgerTests } from './audit-ledger.testsuite.js';
import { auditRetentionTests } from './audit-retention.testsuite.js';
import {
  expectLinearChain,
  freshAuditTenant,
  operatorAudit,
  wholeChain,
  type AuditConformanceContext,
  type LedgerSql,
} from './audit-fixtures.js';
import {
  cloneIdentity,
  createOne,
  expectCode,
  leaseOne,
  NO_BACKOFF,
  TEST_ACTOR,
} from './job-store-fixtures.js';

/** Makes the store and trail under test (one database), raw SQL on it, and removes what it made. */
export type AuditTrailFactory = () => Promise<{
  readonly store: JobStore;
  readonly audit: AuditTrail;
  readonly sql: LedgerSql;
  cleanup(): Promise<void>;
}>;

const FATAL = { type: 'Fatal', message: 'no', retryable: false } as const;

/**
 * The conformance suite of the audit trail: operator actions of the job store write exactly one hash-
 * chained entry each, in the transaction of the action; the ledger keeps the chain linear under
 * concurrency, refuses to change it, and verification finds what was changed anyway; checkpoints and
 * archives are kept append-only, and only archived entries can be removed. Every test works in tenants of
 * its own.
 *
 * @param name - the adapter under test, as the suite's title
 * @param factory - makes the store and trail (called once, before the tests) and the cleanup (after them)
 */
export function auditTrailConformance(name: string, factory: AuditTrailFactory): void {
  describe(`AuditTrail conformance: ${name}`, () => {
    let made: Awaited<ReturnType<AuditTrailFactory>> | undefined;
    const ctx: AuditConformanceContext = {
      get store() {
        return need(made).store;
      },
      get audit() {
        return need(made).audit;
      },
      get sql() {
        return need(made).sql;
      },
    };
    beforeAll(async () => {
      made = await factory();
    });
    afterAll(async () => {
      await made?.cleanup();
    });

    describe('operator actions', () => {
      operatorActionTests(ctx);
    });
    describe('the ledger', () => {
      auditLedgerTests(ctx);
    });
    describe('checkpoints and archives', () => {
      auditRetentionTests(ctx);
    });
  });
}

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the trail under test was not made (see beforeAll)');
  return value;
}

function operatorActionTests(ctx: AuditConformanceContext): void {
  test('cancel, retry and replay write one entry each: sequences 1..n, chained from genesis', async () => {
    const { jobs, trail, tenantId } = freshAuditTenant(ctx);
    const queued = await createOne(jobs, { jobType: 'q' });
    await createOne(jobs, { jobType: 'f' });
    const { lease: failLease } = await leaseOne(jobs, { jobType: 'f' });
    const failed = (
      await jobs.completeJob({ ...failLease, outcome: 'failed', error: FATAL, retryDelaysMs: NO_BACKOFF })
    ).job;
    const audit = operatorAudit();

    await jobs.cancelJob({ jobId: queued.jobId, reason: 'not needed', actor: TEST_ACTOR, audit });
    const identity = cloneIdentity();
    const retried = await jobs.retryJob({ jobId: failed.jobId, newJob: identity, actor: TEST_ACTOR, audit });
    const replayed = await jobs.replayJob({
      jobId: failed.jobId,
      newJob: cloneIdentity(),
      actor: TEST_ACTOR,
      audit: operatorAudit({ requestReason: 'reprocess', requestTicket: 'INC-43' }),
    });

    const chain = await expectLinearChain(trail, 3);
    expect(chain[0]!.prevHash).toBe(GENESIS_PREV_HASH);
    expect(chain[0]).toMatchObject({
      tenantId,
      actor: TEST_ACTOR,
      action: 'job.cancel',
      resourceType: 'job',
      resourceId: queued.jobId,
      before: { status: 'pending', attempt: 0, cancelRequested: false },
      after: { status: 'canceled', attempt: 0, cancelRequested: true },
      reason: 'nightly maintenance',
      ticket: 'OPS-1',
      requestReason: 'duplicate ingestion',
      requestTicket: 'INC-42',
      correlationId: audit.correlationId,
    });
    expect(chain[0]!.auditId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(chain[0]!.occurredAt)).not.toBeNaN();
    expect(chain[1]).toMatchObject({
      action: 'job.retry',
      resourceId: failed.jobId,
      before: { status: 'failed', attempt: 1, cancelRequested: false },
      after: { status: 'failed', newJobId: retried.job.jobId, newJobCreated: true },
    });
    expect(chain[2]).toMatchObject({
      action: 'job.replay',
      resourceId: failed.jobId,
      after: { newJobId: replayed.job.jobId, newJobCreated: true },
      requestReason: 'reprocess',
      requestTicket: 'INC-43',
    });
    for (const entry of chain) {
      expect(await trail.getAuditEntry(entry.auditId)).toEqual(entry);
    }
    const listed = await trail.listAuditEntries({ pageSize: 10 });
    expect(listed.items).toEqual([...chain].reverse());
    expect(listed.nextPageToken).toBeNull();
  });

  test('a refused or failed action writes no entry', async () => {
    const { jobs, trail } = freshAuditTenant(ctx);
    await createOne(jobs);
    const { job, lease } = await leaseOne(jobs);
    const audit = operatorAudit();
    await expectCode(
      jobs.retryJob({ jobId: job.jobId, newJob: cloneIdentity(), actor: TEST_ACTOR, audit }),
      'INVALID_TRANSITION',
    );
    await expectCode(
      jobs.replayJob({ jobId: job.jobId, newJob: cloneIdentity(), actor: TEST_ACTOR, audit }),
      'INVALID_TRANSITION',
    );
    await jobs.completeJob({ ...lease, outcome: 'succeeded', retryDelaysMs: NO_BACKOFF });
    await expectCode(
      jobs.cancelJob({ jobId: job.jobId, reason: 'late', actor: TEST_ACTOR, audit }),
      'INVALID_TRANSITION',
    );
    await expectCode(
      jobs.cancelJob({ jobId: randomUUID(), reason: 'x', actor: TEST_ACTOR, audit }),
      'JOB_NOT_FOUND',
    );
    await expectLinearChain(trail, 0);

    // An idempotency conflict rolls back the replay and its entry; the first use of the key stays.
    await jobs.replayJob({ jobId: job.jobId, newJob: cloneIdentity('k-1'), actor: TEST_ACTOR, audit });
    const other = await createOne(jobs, { jobType: 'other' });
    await jobs.cancelJob({ jobId: other.jobId, reason: 'x', actor: TEST_ACTOR, audit });
    await expectCode(
      jobs.replayJob({ jobId: other.jobId, newJob: cloneIdentity('k-1'), actor: TEST_ACTOR, audit }),
      'IDEMPOTENCY_CONFLICT',
    );
    const chain = await expectLinearChain(trail, 2);
    expect(chain.map((e) => e.action)).toEqual(['job.replay', 'job.cancel']);
  });

  test('every accepted call is recorded: a repeated cancel, an idempotent replay, an ended back-off', async () => {
    const { jobs, trail } = freshAuditTenant(ctx);
    await createOne(jobs);
    const { job } = await leaseOne(jobs);
    await jobs.cancelJob({ jobId: job.jobId, reason: 'stop', actor: TEST_ACTOR });
    await jobs.cancelJob({ jobId: job.jobId, reason: 'stop', actor: TEST_ACTOR });

    await createOne(jobs, { jobType: 'backoff' });
    const { lease } = await leaseOne(jobs, { jobType: 'backoff' });
    const held = (
      await jobs.completeJob({
        ...lease,
        outcome: 'failed',
        error: { type: 'E', message: 'm', retryable: true },
        retryDelaysMs: [3_600_000],
      })
    ).job;
    await jobs.retryJob({ jobId: held.jobId, newJob: cloneIdentity(), actor: TEST_ACTOR });

    const chain = await expectLinearChain(trail, 3);
    // Without metadata the entry still names the actor, and correlates with the job it touched.
    expect(chain[0]).toMatchObject({
      action: 'job.cancel',
      before: { status: 'leased', cancelRequested: false },
      after: { status: 'leased', cancelRequested: true },
      correlationId: job.correlationId,
    });
    expect(chain[0]).not.toHaveProperty('reason');
    expect(chain[0]).not.toHaveProperty('requestTicket');
    expect(chain[1]).toMatchObject({ before: { cancelRequested: true }, after: { cancelRequested: true } });
    expect(chain[2]).toMatchObject({
      action: 'job.retry',
      resourceId: held.jobId,
      before: { status: 'pending', attempt: 1 },
      after: { status: 'pending', attempt: 1 },
    });
    expect(chain[2]!.after).not.toHaveProperty('newJobId');
  });

  test('stand-alone appends chain like the others; bad records are refused and write nothing', async () => {
    const { jobs, trail } = freshAuditTenant(ctx);
    const job = await createOne(jobs);
    await jobs.cancelJob({ jobId: job.jobId, reason: 'x', actor: TEST_ACTOR });
    const record = {
      actor: { subject: 'svc', clientId: 'cli', scopes: ['orch:quota'] },
      action: 'quota.update',
      resourceType: 'quota',
      resourceId: 'q-1',
      after: { maxActive: 5, paused: false },
      reason: 'raise for backfill',
      correlationId: 'corr-q',
    };
    const appended = await trail.appendAuditEntry(record);
    expect(appended).toMatchObject({ ...record, sequence: 2 });
    expect(appended).not.toHaveProperty('before');
    await expectCode(trail.appendAuditEntry({ ...record, action: 'Quota Update' }), 'VALIDATION_FAILED');
    await expectCode(trail.appendAuditEntry({ ...record, reason: 'a\nb' }), 'VALIDATION_FAILED');
    await expectCode(trail.appendAuditEntry({ ...record, ticket: 't'.repeat(129) }), 'VALIDATION_FAILED');
    await expectCode(trail.appendAuditEntry({ ...record, resourceId: '' }), 'VALIDATION_FAILED');
    const chain = await expectLinearChain(trail, 2);
    expect(chain[1]).toEqual(appended);
  });

  test('tenants are isolated: B sees none of A, and its chain starts at genesis of its own', async () => {
    const a = freshAuditTenant(ctx);
    const b = freshAuditTenant(ctx);
    const jobA = await createOne(a.jobs);
    await a.jobs.cancelJob({ jobId: jobA.jobId, reason: 'x', actor: TEST_ACTOR, audit: operatorAudit() });
    const [entryA] = await wholeChain(a.trail);

    expect((await b.trail.listAuditEntries({ pageSize: 50 })).items).toEqual([]);
    expect(await b.trail.listAuditEntries({ pageSize: 50, ticket: 'OPS-1' })).toEqual({
      items: [],
      nextPageToken: null,
    });
    expect(await b.trail.getAuditEntry(entryA!.auditId)).toBeNull();
    expect(await b.trail.getAuditHead()).toBeNull();
    await expectCode(
      b.jobs.cancelJob({ jobId: jobA.jobId, reason: 'x', actor: TEST_ACTOR }),
      'JOB_NOT_FOUND',
    );

    const jobB = await createOne(b.jobs);
    await b.jobs.cancelJob({ jobId: jobB.jobId, reason: 'x', actor: TEST_ACTOR });
    const [entryB] = await expectLinearChain(b.trail, 1);
    expect(entryB).toMatchObject({ tenantId: b.tenantId, sequence: 1, prevHash: GENESIS_PREV_HASH });
    await expectLinearChain(a.trail, 1);
  });

  test('listing filters by actor, client, action, resource, ticket and time, and pages newest first', async () => {
    const { trail } = freshAuditTenant(ctx);
    const base = { resourceType: 'job', correlationId: 'c' } as const;
    const alice = { subject: 'alice', clientId: 'console', scopes: ['orch:operate'] };
    const bob = { subject: 'bob', clientId: 'cli', scopes: ['orch:operate'] };
    const appended = [];
    appended.push(
      await trail.appendAuditEntry({
        ...base,
        actor: alice,
        action: 'job.cancel',
        resourceId: 'j1',
        ticket: 'T-1',
      }),
    );
    appended.push(
      await trail.appendAuditEntry({
        ...base,
        actor: bob,
        action: 'job.retry',
        resourceId: 'j2',
        requestTicket: 'T-1',
      }),
    );
    appended.push(
      await trail.appendAuditEntry({
        ...base,
        actor: alice,
        action: 'job.retry',
        resourceId: 'j1',
        ticket: 'T-2',
      }),
    );
    appended.push(
      await trail.appendAuditEntry({
        ...base,
        actor: bob,
        action: 'quota.update',
        resourceType: 'quota',
        resourceId: 'q',
      }),
    );
    appended.push(
      await trail.appendAuditEntry({ ...base, actor: alice, action: 'job.replay', resourceId: 'j3' }),
    );
    const seqs = async (filter: Record<string, string>) =>
      (await trail.listAuditEntries({ pageSize: 50, ...filter })).items.map((e) => e.sequence);

    expect(await seqs({})).toEqual([5, 4, 3, 2, 1]);
    expect(await seqs({ actorSubject: 'alice' })).toEqual([5, 3, 1]);
    expect(await seqs({ clientId: 'cli' })).toEqual([4, 2]);
    expect(await seqs({ action: 'job.retry' })).toEqual([3, 2]);
    expect(await seqs({ resourceType: 'job', resourceId: 'j1' })).toEqual([3, 1]);
    expect(await seqs({ resourceType: 'quota' })).toEqual([4]);
    expect(await seqs({ ticket: 'T-1' })).toEqual([2, 1]);
    expect(await seqs({ ticket: 'T-1', actorSubject: 'bob' })).toEqual([2]);
    expect(await seqs({ ticket: 'nope' })).toEqual([]);
    const third = appended[2]!.occurredAt;
    const before = new Date(Date.parse(third) - 1).toISOString();
    expect(await seqs({ occurredBefore: before })).not.toContain(3);
    expect(await seqs({ occurredAfter: before })).toContain(3);

    const pages: number[][] = [];
    let token: string | null = null;
    do {
      const page = await trail.listAuditEntries({
        pageSize: 2,
        ...(token === null ? {} : { pageToken: token }),
      });
      pages.push(page.items.map((e) => e.sequence));
      token = page.nextPageToken;
    } while (token !== null && pages.length < 10);
    expect(pages).toEqual([[5, 4], [3, 2], [1]]);
    await expectCode(trail.listAuditEntries({ pageSize: 2, pageToken: 'garbage!' }), 'INVALID_CURSOR');
    expect(await trail.getAuditEntry('not-a-uuid')).toBeNull();
    expect(await trail.getAuditEntry(randomUUID())).toBeNull();
  });
}
