import { randomUUID } from 'node:crypto';
import {
  AUTHORITY_TENANT,
  compareEventPositions,
  EVENT_SCHEMA,
  START_POSITION,
  type AuditTrail,
  type ClientRegistry,
  type EventLog,
  type JobStore,
} from '@stella-orch/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LedgerSql } from './audit-fixtures.js';
import { operatorAudit } from './audit-fixtures.js';
import {
  freshEventTenant,
  readSettled,
  settled,
  typesOf,
  type EventLogConformanceContext,
} from './event-log-fixtures.js';
import { eventLogTransitionTests } from './event-log-transitions.testsuite.js';
import { insertSourceRow } from './sources.testsuite.js';
import {
  cloneIdentity,
  createOne,
  expectCode,
  leaseOne,
  newJob,
  NO_BACKOFF,
  TEST_ACTOR,
} from './job-store-fixtures.js';

/** Makes the log and its writers under test (one database), raw SQL on it, and removes what it made. */
export type EventLogFactory = () => Promise<{
  readonly events: EventLog;
  readonly store: JobStore;
  readonly audit: AuditTrail;
  readonly clients: ClientRegistry;
  readonly sql: LedgerSql;
  cleanup(): Promise<void>;
}>;

/**
 * The conformance suite of the event log: one event per job transition and per audited operator action,
 * written with the change; reads in one order per tenant, resumable from any position without a gap or a
 * repeat; filters; tenant isolation; retention from the start of the log. Every test works in tenants of
 * its own.
 *
 * @param name - the adapter under test, as the suite's title
 * @param factory - makes a migrated ledger and returns its parts and a cleanup
 */
export function eventLogConformance(name: string, factory: EventLogFactory): void {
  describe(`EventLog conformance: ${name}`, () => {
    let made: Awaited<ReturnType<EventLogFactory>>;
    const ctx: EventLogConformanceContext = {
      get events() {
        return made.events;
      },
      get store() {
        return made.store;
      },
      get audit() {
        return made.audit;
      },
      get clients() {
        return made.clients;
      },
      get sql() {
        return made.sql;
      },
    };
    beforeAll(async () => {
      made = await factory();
    });
    afterAll(async () => {
      await made.cleanup();
    });

    eventLogTransitionTests(ctx);

    test('an envelope is orch.event.v1 with the job, its actor and the SPEC idempotency key', async () => {
      const tenantId = freshEventTenant();
      const jobs = ctx.store.forTenant(tenantId);
      const run = randomUUID();
      await jobs.createRun({
        run: { runId: run, name: 'r', sourceId: null, idempotencyKey: null, requestDigest: 'sha256:r' },
        actor: TEST_ACTOR,
      });
      await insertSourceRow(ctx.sql, tenantId, 'nvd');
      const job = await createOne(jobs, {
        runId: run,
        sourceId: 'nvd',
        projectId: 'p1',
        jobType: 'test.job',
      });
      const leased = await leaseOne(jobs, { workerId: 'worker-7' });
      const [created, lease] = await readSettled(ctx, tenantId);
      expect(created?.event).toEqual({
        schema: EVENT_SCHEMA,
        eventId: expect.stringMatching(/^\d+$/) as unknown,
        eventType: 'job.created',
        occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) as unknown,
        tenantId,
        projectId: 'p1',
        sourceId: 'nvd',
        jobId: job.jobId,
        runId: run,
        jobType: 'test.job',
        attempt: 0,
        correlationId: job.correlationId,
        idempotencyKey: `orch-job.created-${job.jobId}-0`,
        actor: { subject: TEST_ACTOR.subject, scopes: [...TEST_ACTOR.scopes] },
        job: {
          id: job.jobId,
          type: 'test.job',
          runId: run,
          attempt: 0,
          leaseId: null,
          workerId: null,
          status: 'pending',
          reason: 'submitted',
          payloadDigest: job.payloadDigest,
        },
        data: { reason: 'submitted' },
      });
      expect(lease?.event).toMatchObject({
        eventType: 'job.leased',
        attempt: 1,
        idempotencyKey: `orch-job.leased-${job.jobId}-1`,
        actor: { subject: 'worker-7', scopes: [] },
        job: { leaseId: leased.lease.leaseId, workerId: 'worker-7', status: 'leased' },
      });
    });

    test('operator actions write one operator event each, with the actor scopes, and a refused one none', async () => {
      const tenantId = freshEventTenant();
      const jobs = ctx.store.forTenant(tenantId);
      const pending = await createOne(jobs);
      const audit = operatorAudit();
      await jobs.cancelJob({ jobId: pending.jobId, reason: 'dup', actor: TEST_ACTOR, audit });
      await jobs.retryJob({ jobId: pending.jobId, newJob: cloneIdentity(), actor: TEST_ACTOR, audit });
      await jobs.replayJob({ jobId: pending.jobId, newJob: cloneIdentity('k1'), actor: TEST_ACTOR, audit });
      await jobs.replayJob({ jobId: pending.jobId, newJob: cloneIdentity('k1'), actor: TEST_ACTOR, audit });
      const done = await createOne(jobs, { jobType: 'done' });
      const held = await leaseOne(jobs, { jobType: 'done' });
      await jobs.completeJob({ ...held.lease, outcome: 'succeeded', retryDelaysMs: NO_BACKOFF });
      await expectCode(
        jobs.cancelJob({ jobId: done.jobId, reason: 'late', actor: TEST_ACTOR }),
        'INVALID_TRANSITION',
      );
      const trail = ctx.audit.forTenant(tenantId);
      await trail.appendAuditEntry({
        actor: TEST_ACTOR,
        action: 'audit.checkpoint',
        resourceType: 'audit_trail',
        resourceId: tenantId,
        correlationId: 'corr-cp',
      });
      await trail.appendAuditEntry({
        actor: TEST_ACTOR,
        action: 'token.grant',
        resourceType: 'client',
        resourceId: 'c1',
        correlationId: 'corr-grant',
      });

      const operator = (await readSettled(ctx, tenantId, { filter: { types: ['operator.'] } })).map(
        (item) => item.event,
      );
      expect(operator.map((e) => e.eventType)).toEqual([
        'operator.job.cancel',
        'operator.job.retry',
        'operator.job.replay',
        'operator.job.replay',
        'operator.audit.checkpoint',
      ]);
      const entries = await trail.readAuditChain({ fromSequence: 1, limit: 100 });
      expect(entries.map((e) => e.action)).toEqual([
        'job.cancel',
        'job.retry',
        'job.replay',
        'job.replay',
        'audit.checkpoint',
        'token.grant',
      ]);
      operator.forEach((event, i) => {
        const entry = entries[i]!;
        expect(event).toMatchObject({
          actor: { subject: TEST_ACTOR.subject, scopes: [...TEST_ACTOR.scopes] },
          correlationId: entry.correlationId,
          idempotencyKey: `orch-${event.eventType}-${entry.auditId}`,
          data: { auditId: entry.auditId, auditSequence: entry.sequence, action: entry.action },
        });
      });
      expect(operator[0]).toMatchObject({
        jobId: pending.jobId,
        jobType: 'test.job',
        data: { reason: audit.reason, ticket: audit.ticket, requestTicket: audit.requestTicket },
      });
      expect(operator[4]?.jobId).toBeNull();
    });

    test('client registry changes write their operator event in the chain tenant of the Authority', async () => {
      await settled(ctx.sql);
      const before = await ctx.events.getLatestPosition(AUTHORITY_TENANT);
      const clientId = `c-${randomUUID().slice(0, 8)}`;
      const change = { actor: TEST_ACTOR, audit: operatorAudit() };
      await ctx.clients.addClient(
        {
          clientId,
          displayName: clientId,
          secretHash: 'scrypt$N=1024,r=8,p=1$c2FsdA$aGFzaA',
          allowedScopes: ['orch:read'],
          allowedTenants: ['*'],
        },
        change,
      );
      await ctx.clients.setClientDisabled(clientId, true, change);
      await ctx.clients.setClientDisabled(clientId, true, change);
      const events = await readSettled(ctx, AUTHORITY_TENANT, { after: before });
      const mine = events.filter((item) => item.event.data['resourceId'] === clientId);
      expect(typesOf(mine)).toEqual(['operator.client.add', 'operator.client.disable']);
      expect(JSON.stringify(mine.map((item) => item.event))).not.toContain('scrypt$');
    });

    test('reads resume at any position without a gap or a repeat, and tenants never see each other', async () => {
      const a = freshEventTenant();
      const b = freshEventTenant();
      for (let i = 0; i < 3; i++) {
        await ctx.store.forTenant(a).createJobs({
          jobs: Array.from({ length: 5 }, () => newJob()),
          actor: TEST_ACTOR,
        });
        await createOne(ctx.store.forTenant(b));
      }
      const whole = await readSettled(ctx, a);
      expect(whole).toHaveLength(15);
      for (const pageSize of [1, 2, 7]) {
        expect(await readSettled(ctx, a, { pageSize })).toEqual(whole);
      }
      expect(await readSettled(ctx, a, { after: whole[6]!.position })).toEqual(whole.slice(7));
      expect(new Set(whole.map((item) => item.event.tenantId))).toEqual(new Set([a]));
      expect(await readSettled(ctx, b)).toHaveLength(3);
      expect(await readSettled(ctx, freshEventTenant())).toEqual([]);
    });

    test('the latest position is the last readable event; a reader starting there misses nothing after', async () => {
      const tenantId = freshEventTenant();
      expect(await ctx.events.getLatestPosition(tenantId)).toEqual(START_POSITION);
      const jobs = ctx.store.forTenant(tenantId);
      await createOne(jobs);
      await createOne(jobs);
      const whole = await readSettled(ctx, tenantId);
      await settled(ctx.sql);
      const latest = await ctx.events.getLatestPosition(tenantId);
      expect(latest).toEqual(whole.at(-1)!.position);
      const empty = await ctx.events.readEvents({ tenantId, after: latest, limit: 10 });
      expect(empty).toEqual({ events: [], position: latest, more: false });
      await createOne(jobs);
      const next = await readSettled(ctx, tenantId, { after: latest });
      expect(typesOf(next)).toEqual(['job.created']);
      expect(compareEventPositions(next[0]!.position, latest)).toBe(1);
    });

    test('filters select by type prefix, job type, source, run and job, and the position moves past the rest', async () => {
      const tenantId = freshEventTenant();
      const jobs = ctx.store.forTenant(tenantId);
      const run = randomUUID();
      await jobs.createRun({
        run: { runId: run, name: 'r', sourceId: null, idempotencyKey: null, requestDigest: 'sha256:r' },
        actor: TEST_ACTOR,
      });
      const inRun = await createOne(jobs, { jobType: 'scan', runId: run });
      await insertSourceRow(ctx.sql, tenantId, 'nvd');
      const fromNvd = await createOne(jobs, { jobType: 'ingest', sourceId: 'nvd' });
      await leaseOne(jobs, { jobType: 'ingest' });
      await jobs.cancelJob({ jobId: inRun.jobId, reason: 'no', actor: TEST_ACTOR });
      const read = async (filter: Parameters<typeof readSettled>[2]) =>
        typesOf(await readSettled(ctx, tenantId, filter));
      expect(await read({ filter: { types: ['job.leased', 'operator.'] } })).toEqual([
        'job.leased',
        'operator.job.cancel',
      ]);
      expect(await read({ filter: { jobType: 'scan' } })).toEqual([
        'job.created',
        'job.canceled',
        'operator.job.cancel',
      ]);
      expect(await read({ filter: { runId: run, types: ['job.'] } })).toEqual([
        'job.created',
        'job.canceled',
      ]);
      expect(await read({ filter: { sourceId: 'nvd' } })).toEqual(['job.created', 'job.leased']);
      expect(await read({ filter: { jobId: fromNvd.jobId } })).toEqual(['job.created', 'job.leased']);
      await settled(ctx.sql);
      const none = await ctx.events.readEvents({ tenantId, limit: 100, filter: { sourceId: 'osv' } });
      expect(none.events).toEqual([]);
      expect(none.position).toEqual((await readSettled(ctx, tenantId)).at(-1)!.position);
      const limited = await ctx.events.readEvents({ tenantId, limit: 2, filter: { types: ['operator.'] } });
      expect(limited).toMatchObject({ events: [], more: true });
    });

    test('retention removes events older than the cut-off from the start of the log, in batches', async () => {
      const tenantId = freshEventTenant();
      const other = freshEventTenant();
      for (let i = 0; i < 5; i++) await createOne(ctx.store.forTenant(tenantId));
      await createOne(ctx.store.forTenant(other));
      const whole = await readSettled(ctx, tenantId);
      expect(await ctx.events.getOldestPosition(tenantId)).toEqual(whole[0]!.position);
      expect(await ctx.events.listEventTenants()).toEqual(expect.arrayContaining([tenantId, other]));
      const past = new Date(Date.now() - 3_600_000).toISOString();
      expect(await ctx.events.pruneEvents({ tenantId, olderThan: past, limit: 100 })).toBe(0);
      const future = new Date(Date.now() + 60_000).toISOString();
      expect(await ctx.events.pruneEvents({ tenantId, olderThan: future, limit: 2 })).toBe(2);
      expect(await readSettled(ctx, tenantId)).toEqual(whole.slice(2));
      // The oldest event kept: a reader after whole[0] or whole[1] lost something.
      expect(await ctx.events.getOldestPosition(tenantId)).toEqual(whole[2]!.position);
      expect(await ctx.events.pruneEvents({ tenantId, olderThan: future, limit: 2 })).toBe(2);
      expect(await ctx.events.pruneEvents({ tenantId, olderThan: future, limit: 2 })).toBe(1);
      expect(await ctx.events.pruneEvents({ tenantId, olderThan: future, limit: 2 })).toBe(0);
      expect(await ctx.events.listEventTenants()).not.toContain(tenantId);
      expect(await ctx.events.getOldestPosition(tenantId)).toBeNull();
      expect(await ctx.events.getOldestPosition(other)).not.toBeNull();
      expect(await readSettled(ctx, other)).toHaveLength(1);
      await expectCode(
        ctx.events.pruneEvents({ tenantId, olderThan: 'yesterday', limit: 1 }),
        'VALIDATION_FAILED',
      );
      await expectCode(ctx.events.readEvents({ tenantId: '', limit: 1 }), 'VALIDATION_FAILED');
    });
  });
}
