import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ledgerEngines, startHarnessOn, type Harness } from './harness.js';

const ENGINES = await ledgerEngines('dead-letter API suite');

interface Entry {
  entryId: string;
  jobId: string;
  jobType: string;
  sourceId: string | null;
  errorType: string;
  status: string;
  replayedJobId: string | null;
  resolutionNote: string | null;
}

describe.each(ENGINES)('dead-letter operations and replay by filter on %s', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarnessOn(engine, { config: { maxReplayJobs: 5 } });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.newTenant();
  });

  const registered = new Set<string>();
  /** Submits a job (registering its source), leases it and fails it for good: one open entry. */
  async function deadLettered(jobType: string, errorType: string, sourceId?: string): Promise<string> {
    if (sourceId !== undefined && !registered.has(`${h.tenant}/${sourceId}`)) {
      await h.driver.query(
        `INSERT INTO orch.sources (tenant_id, source_id, source_type, request_digest, created_by, updated_by)
         VALUES ($1, $2, 'concelier', 'fixture', 'fixture', 'fixture')`,
        [h.tenant, sourceId],
      );
      registered.add(`${h.tenant}/${sourceId}`);
    }
    const submitted = await h.call('POST', '/jobs', {
      jobType,
      ...(sourceId === undefined ? {} : { sourceId }),
    });
    expect(submitted.statusCode).toBe(201);
    const leased = await h.call('POST', '/leases', { workerId: 'w1', jobTypes: [jobType] });
    const [lease] = leased.json().leases as { leaseId: string; fencingToken: number }[];
    const done = await h.call('POST', `/leases/${lease!.leaseId}/complete`, {
      fencingToken: lease!.fencingToken,
      outcome: 'failed',
      error: { type: errorType, message: `${errorType} in ${jobType}`, retryable: false },
    });
    expect(done.statusCode).toBe(200);
    return submitted.json().jobId as string;
  }

  const entries = async (query = ''): Promise<Entry[]> => {
    const res = await h.call('GET', `/deadletter?page_size=100${query}`);
    expect(res.statusCode).toBe(200);
    return res.json().items as Entry[];
  };
  const auditActions = async (): Promise<string[]> =>
    (await h.call('GET', '/audit?page_size=100'))
      .json<{ items: { action: string }[] }>()
      .items.map((e) => e.action);
  const jobCount = async (): Promise<number> =>
    (await h.call('GET', '/jobs/summary')).json<{ total: number }>().total;
  const operatorEvents = async (): Promise<string[]> => {
    const rows = await h.driver.query<{ event_type: string }>(
      "SELECT event_type FROM orch.events WHERE tenant_id = $1 AND event_type LIKE 'operator.%' ORDER BY event_id",
      [h.tenant],
    );
    return rows.map((r) => r.event_type);
  };
  const reader = async () => ({ authorization: `Bearer ${await h.tokenFor({ scopes: ['orch:read'] })}` });

  it('lists with filters, shows one entry, and keeps other tenants out', async () => {
    const a = await deadLettered('scan', 'Timeout', 'nvd');
    const b = await deadLettered('fetch', 'Malformed', 'osv');
    const c = await deadLettered('scan', 'Malformed');
    expect((await entries('&jobType=scan')).map((e) => e.jobId)).toEqual([c, a]);
    expect((await entries('&sourceId=osv')).map((e) => e.jobId)).toEqual([b]);
    expect((await entries('&errorType=Malformed&status=open')).map((e) => e.jobId)).toEqual([c, b]);
    expect(await entries('&created_after=2999-01-01T00:00:00Z')).toEqual([]);
    expect((await entries('&created_before=2999-01-01T00:00:00Z')).length).toBe(3);
    const bad = await h.call('GET', '/deadletter?created_after=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await h.call('GET', '/deadletter?status=closed')).json()).toMatchObject({
      code: 'VALIDATION_FAILED',
    });

    const [entry] = await entries('&sourceId=nvd');
    const shown = await h.call('GET', `/deadletter/${entry!.entryId}`, undefined, await reader());
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({ jobId: a, sourceId: 'nvd', errorType: 'Timeout', status: 'open' });

    const owner = h.tenant;
    h.newTenant();
    expect(await entries()).toEqual([]);
    const hidden = await h.call('GET', `/deadletter/${entry!.entryId}`);
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json()).toMatchObject({ code: 'DEAD_LETTER_NOT_FOUND' });
    expect((await h.call('GET', '/deadletter/not-a-uuid')).json()).toMatchObject({
      code: 'DEAD_LETTER_NOT_FOUND',
    });
    for (const action of ['replay', 'resolve'] as const) {
      const res = await h.call(
        'POST',
        `/deadletter/${entry!.entryId}/${action}`,
        action === 'resolve' ? { note: 'x' } : {},
      );
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'DEAD_LETTER_NOT_FOUND' });
    }
    expect(await auditActions()).toEqual([]);
    h.tenant = owner;
    expect((await h.call('GET', `/deadletter/${entry!.entryId}`)).json()).toMatchObject({ status: 'open' });
  });

  it('answers stats and the grouped summary', async () => {
    await deadLettered('scan', 'Timeout', 'nvd');
    await deadLettered('scan', 'Timeout', 'nvd');
    await deadLettered('scan', 'Auth');
    const stats = await h.call('GET', '/deadletter/stats?top=1', undefined, await reader());
    expect(stats.statusCode).toBe(200);
    expect(stats.json()).toMatchObject({
      total: 3,
      byStatus: { open: 3, replayed: 0, resolved: 0 },
      topErrorTypes: [{ errorType: 'Timeout', count: 2 }],
      oldestOpen: { jobType: 'scan' },
    });
    for (const top of ['0', '101', 'x']) {
      const res = await h.call('GET', `/deadletter/stats?top=${top}`);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    const summary = await h.call('GET', '/deadletter/summary', undefined, await reader());
    expect(summary.statusCode).toBe(200);
    expect(summary.json()).toMatchObject({
      totalOpen: 3,
      truncated: false,
      groups: [
        {
          jobType: 'scan',
          errorType: 'Timeout',
          sourceId: 'nvd',
          count: 2,
          sampleMessage: 'Timeout in scan',
        },
        { jobType: 'scan', errorType: 'Auth', sourceId: null, count: 1 },
      ],
    });
  });

  it('replays an entry once (idempotent per key), audits it, and refuses a second replay with 409', async () => {
    const jobId = await deadLettered('scan', 'Fatal');
    const [entry] = await entries();
    const key = { 'idempotency-key': `dlq-${randomUUID()}` };
    const replayed = await h.call('POST', `/deadletter/${entry!.entryId}/replay`, {}, key);
    expect(replayed.statusCode).toBe(201);
    const { entry: after, job } = replayed.json();
    expect(job).toMatchObject({ replayOf: jobId, status: 'pending', jobType: 'scan' });
    expect(after).toMatchObject({ status: 'replayed', replayedJobId: job.jobId });
    expect((await h.call('GET', `/jobs/${jobId}`)).json()).toMatchObject({ status: 'failed' });

    const repeat = await h.call('POST', `/deadletter/${entry!.entryId}/replay`, undefined, key);
    expect(repeat.statusCode).toBe(200);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(repeat.json().job.jobId).toBe(job.jobId);

    const jobsBefore = await jobCount();
    const again = await h.call('POST', `/deadletter/${entry!.entryId}/replay`, {});
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(again.json()).toMatchObject({ code: 'DEAD_LETTER_NOT_OPEN', details: { status: 'replayed' } });
    const resolve = await h.call('POST', `/deadletter/${entry!.entryId}/resolve`, { note: 'too late' });
    expect(resolve.json()).toMatchObject({ code: 'DEAD_LETTER_NOT_OPEN' });
    expect(await jobCount()).toBe(jobsBefore);

    const audit = (await h.call('GET', '/audit?page_size=100')).json().items;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'deadletter.replay',
      resourceType: 'dead_letter',
      resourceId: entry!.entryId,
      reason: 'automated test',
      ticket: 'TEST-0',
      after: { status: 'replayed', replayedJobId: job.jobId },
    });
    expect(await operatorEvents()).toEqual(['operator.deadletter.replay']);
  });

  it('resolves an entry with a note; a bad note writes nothing', async () => {
    await deadLettered('scan', 'Fatal');
    const [entry] = await entries();
    for (const body of [
      {},
      { note: '' },
      { note: 'x'.repeat(1025) },
      { note: 'line\nbreak' },
      { note: 'ok', extra: 1 },
    ]) {
      const res = await h.call('POST', `/deadletter/${entry!.entryId}/resolve`, body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(await auditActions()).toEqual([]);
    const resolved = await h.call('POST', `/deadletter/${entry!.entryId}/resolve`, {
      note: 'vendor feed fixed upstream',
    });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json()).toMatchObject({
      status: 'resolved',
      resolutionNote: 'vendor feed fixed upstream',
      resolvedBy: 'harness-admin',
    });
    expect(await auditActions()).toEqual(['deadletter.resolve']);
    expect(await operatorEvents()).toEqual(['operator.deadletter.resolve']);
    const twice = await h.call('POST', `/deadletter/${entry!.entryId}/resolve`, { note: 'again' });
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ code: 'DEAD_LETTER_NOT_OPEN' });
    expect(await auditActions()).toEqual(['deadletter.resolve']);
  });

  it('previews and runs a replay by filter in one audited call, up to max', async () => {
    const failed = [
      await deadLettered('scan', 'Fatal', 'nvd'),
      await deadLettered('scan', 'Fatal', 'osv'),
      await deadLettered('fetch', 'Fatal', 'nvd'),
    ];
    const filter = { status: ['failed'], deadLetterStatus: 'open' };
    const preview = await h.call('POST', '/jobs/replay', { filter, dryRun: true, max: 2 });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toEqual({
      dryRun: true,
      total: 3,
      max: 2,
      exceedsMax: true,
      byJobType: [
        { jobType: 'scan', count: 2 },
        { jobType: 'fetch', count: 1 },
      ],
      bySource: [
        { sourceId: 'nvd', count: 2 },
        { sourceId: 'osv', count: 1 },
      ],
    });
    const jobsBefore = await jobCount();
    const refused = await h.call('POST', '/jobs/replay', { filter, max: 2 });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'REPLAY_LIMIT_EXCEEDED', details: { matched: 3, max: 2 } });
    expect(await jobCount()).toBe(jobsBefore);
    expect(await auditActions()).toEqual([]);

    const key = { 'idempotency-key': `bulk-${randomUUID()}` };
    const done = await h.call('POST', '/jobs/replay', { filter, max: 3 }, key);
    expect(done.statusCode).toBe(201);
    const result = done.json();
    expect(result).toMatchObject({
      dryRun: false,
      total: 3,
      created: 3,
      existing: 0,
      deadLettersReplayed: 3,
    });
    expect(result.jobs.map((j: { replayOf: string }) => j.replayOf)).toEqual(failed);
    for (const { jobId, replayOf } of result.jobs as { jobId: string; replayOf: string }[]) {
      expect((await h.call('GET', `/jobs/${jobId}`)).json()).toMatchObject({ replayOf, status: 'pending' });
    }
    expect((await entries('&status=open')).length).toBe(0);
    expect(await jobCount()).toBe(jobsBefore + 3);
    const audit = (await h.call('GET', '/audit?page_size=100')).json().items;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'job.bulk_replay',
      resourceType: 'replay',
      resourceId: result.replayId,
      before: { statuses: ['failed'], deadLetterStatus: 'open', max: 3 },
      after: { matched: 3, created: 3 },
    });
    expect(await operatorEvents()).toEqual(['operator.job.bulk_replay']);

    // The same request with the same key, on the originals (their entries are closed now): the same clones.
    const repeat = await h.call('POST', '/jobs/replay', { filter: { jobType: 'scan' }, max: 3 }, key);
    expect(repeat.statusCode).toBe(200);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(repeat.json()).toMatchObject({ total: 2, created: 0, existing: 2 });
    expect(await jobCount()).toBe(jobsBefore + 3);
  });

  it('refuses bad replay requests with 400 and writes nothing', async () => {
    await deadLettered('scan', 'Fatal');
    const jobsBefore = await jobCount();
    for (const body of [
      {},
      { max: 0 },
      { max: 6 },
      { max: 1.5 },
      { max: 1, filter: { status: [] } },
      { max: 1, filter: { status: ['pending'] } },
      { max: 1, filter: { deadLetterStatus: 'resolved' } },
      { max: 1, filter: { createdAfter: 'soon' } },
      { max: 1, filter: { createdAfter: '2030-01-02T00:00:00Z', createdBefore: '2030-01-01T00:00:00Z' } },
      { max: 1, filter: { unknown: 1 } },
      { max: 1, dryRun: 'yes' },
    ]) {
      const res = await h.call('POST', '/jobs/replay', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(await jobCount()).toBe(jobsBefore);
    expect(await auditActions()).toEqual([]);
    expect(await operatorEvents()).toEqual([]);
  });

  it('needs orch:operate to change and orch:read to read', async () => {
    await deadLettered('scan', 'Fatal');
    const [entry] = await entries();
    const readOnly = await reader();
    for (const [path, body] of [
      [`/deadletter/${entry!.entryId}/replay`, {}],
      [`/deadletter/${entry!.entryId}/resolve`, { note: 'n' }],
      ['/jobs/replay', { max: 1, dryRun: true }],
    ] as const) {
      const res = await h.call('POST', path, body, readOnly);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({
        code: 'INSUFFICIENT_SCOPE',
        details: { requiredScope: 'orch:operate' },
      });
    }
    const operateOnly = { authorization: `Bearer ${await h.tokenFor({ scopes: ['orch:operate'] })}` };
    for (const path of [
      '/deadletter',
      '/deadletter/stats',
      '/deadletter/summary',
      `/deadletter/${entry!.entryId}`,
    ]) {
      const res = await h.call('GET', path, undefined, operateOnly);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ details: { requiredScope: 'orch:read' } });
    }
    expect((await h.call('GET', `/deadletter/${entry!.entryId}`)).json()).toMatchObject({ status: 'open' });
  });
});
