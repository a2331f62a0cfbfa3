import { computeAuditHash, GENESIS_PREV_HASH, SCOPES } from '@stella-orch/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

/** An audit entry as the API serves it. */
interface AuditEntryJson {
  readonly auditId: string;
  readonly sequence: number;
  readonly action: string;
  readonly hash: string;
  readonly [field: string]: unknown;
}

/** The request's own reason and ticket, on top of the token's. */
const OPERATOR = {
  'x-stella-operator-reason': 'duplicate advisory feed',
  'x-stella-operator-ticket': 'INC-1234',
};

describe('audit API (in-process, PGlite)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  beforeEach(() => {
    h.newTenant();
  });
  afterAll(async () => {
    await h.close();
  });

  async function submit(body: Record<string, unknown> = { jobType: 'scan' }): Promise<string> {
    const res = await h.call('POST', '/jobs', body);
    expect(res.statusCode).toBe(201);
    return res.json().jobId;
  }

  /** A job that failed for good (one attempt, non-retryable failure). */
  async function failedJob(): Promise<string> {
    const jobId = await submit({ jobType: 'fragile', maxAttempts: 1 });
    const leased = (await h.call('POST', '/leases', { workerId: 'w1', jobTypes: ['fragile'] })).json();
    const [lease] = leased.leases;
    const done = await h.call('POST', `/leases/${lease.leaseId}/complete`, {
      fencingToken: lease.fencingToken,
      outcome: 'failed',
      error: { type: 'Fatal', message: 'no', retryable: false },
    });
    expect(done.json().disposition).toBe('dead_lettered');
    return jobId;
  }

  /** The headers of a call made with alice-ops's token, which carries her reason and ticket. */
  async function asAlice(headers: Record<string, string> = {}): Promise<Record<string, string>> {
    const token = await h.tokenFor({
      clientId: 'alice-ops',
      metadata: { operator_reason: 'feed cleanup', operator_ticket: 'OPS-9' },
    });
    return { authorization: `Bearer ${token}`, ...headers };
  }

  async function entries(query = ''): Promise<AuditEntryJson[]> {
    const res = await h.call('GET', `/audit${query}`);
    expect(res.statusCode).toBe(200);
    return res.json().items;
  }

  it("records a cancel with the token's and the request's reason and ticket, the actor and the job states", async () => {
    const jobId = await submit();
    const res = await h.call(
      'POST',
      `/jobs/${jobId}/cancel`,
      { reason: 'not needed' },
      await asAlice({ ...OPERATOR, 'x-correlation-id': 'corr-77' }),
    );
    expect(res.statusCode).toBe(200);
    const [entry, ...rest] = await entries();
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      tenantId: h.tenant,
      sequence: 1,
      actor: { subject: 'alice-ops', clientId: 'alice-ops', scopes: [...SCOPES] },
      action: 'job.cancel',
      resourceType: 'job',
      resourceId: jobId,
      before: { status: 'pending', attempt: 0, cancelRequested: false },
      after: { status: 'canceled', attempt: 0, cancelRequested: true },
      reason: 'feed cleanup',
      ticket: 'OPS-9',
      requestReason: 'duplicate advisory feed',
      requestTicket: 'INC-1234',
      correlationId: 'corr-77',
      prevHash: GENESIS_PREV_HASH,
    });
    // The entry as served hashes to its hash: a client can check it without the server.
    const { hash, ...rest2 } = entry!;
    expect(computeAuditHash(rest2 as never)).toBe(hash);
    const got = await h.call('GET', `/audit/${entry!.auditId}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(entry);
  });

  it('writes one entry per action, sequences 1..n, and filters by ticket', async () => {
    const pending = await submit();
    const failed = await failedJob();
    await h.call(
      'POST',
      `/jobs/${pending}/cancel`,
      {},
      await asAlice({ ...OPERATOR, 'x-stella-operator-ticket': 'CHG-1' }),
    );
    const retried = await h.call('POST', `/jobs/${failed}/retry`, {}, await asAlice(OPERATOR));
    expect(retried.statusCode).toBe(201);
    const replayed = await h.call(
      'POST',
      `/jobs/${failed}/replay`,
      {},
      { 'x-stella-operator-ticket': 'CHG-1' },
    );
    expect(replayed.statusCode).toBe(201);

    const all = await entries();
    expect(all.map((e) => [e.sequence, e.action])).toEqual([
      [3, 'job.replay'],
      [2, 'job.retry'],
      [1, 'job.cancel'],
    ]);
    expect(all[1]).toMatchObject({ resourceId: failed, after: { newJobId: retried.json().jobId } });
    expect(all[0]).toMatchObject({ actor: { subject: 'harness-admin' }, requestTicket: 'CHG-1' });
    expect(all[0]).not.toHaveProperty('requestReason');
    expect(all[0]).toMatchObject({ reason: 'automated test', ticket: 'TEST-0' });
    expect((await entries('?ticket=CHG-1')).map((e) => e.sequence)).toEqual([3, 1]);
    expect((await entries('?ticket=INC-1234')).map((e) => e.sequence)).toEqual([2]);
    expect((await entries('?action=job.retry&resourceType=job')).map((e) => e.sequence)).toEqual([2]);
    expect((await entries(`?resourceId=${failed}`)).map((e) => e.sequence)).toEqual([3, 2]);
    expect((await entries('?ticket=OPS-9')).map((e) => e.sequence)).toEqual([2, 1]);
    expect((await entries('?actor=alice-ops')).map((e) => e.sequence)).toEqual([2, 1]);
    expect((await entries('?clientId=alice-ops')).map((e) => e.sequence)).toEqual([2, 1]);
    expect(await entries('?clientId=console')).toEqual([]);

    const first = (await h.call('GET', '/audit?page_size=2')).json();
    expect(first.items.map((e: { sequence: number }) => e.sequence)).toEqual([3, 2]);
    const second = (await h.call('GET', `/audit?page_size=2&page_token=${first.next_page_token}`)).json();
    expect(second).toMatchObject({ items: [{ sequence: 1 }], next_page_token: null });
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(await entries(`?occurred_after=${future}`)).toEqual([]);
    expect(await entries(`?occurred_before=${future}`)).toHaveLength(3);
  });

  it('writes nothing for a refused action', async () => {
    const jobId = await submit();
    await h.call('POST', `/jobs/${jobId}/cancel`, {}, OPERATOR);
    const again = await h.call('POST', `/jobs/${jobId}/cancel`, {}, OPERATOR);
    expect(again.statusCode).toBe(409);
    expect((await h.call('POST', `/jobs/${jobId}/retry`, {}, OPERATOR)).statusCode).toBe(201);
    const running = await submit({ jobType: 'busy' });
    await h.call('POST', '/leases', { workerId: 'w1', jobTypes: ['busy'] });
    expect((await h.call('POST', `/jobs/${running}/replay`, {}, OPERATOR)).statusCode).toBe(409);
    expect((await h.call('POST', '/jobs/00000000-0000-4000-8000-000000000000/cancel', {})).statusCode).toBe(
      404,
    );
    expect((await entries()).map((e) => e.action)).toEqual(['job.retry', 'job.cancel']);
  });

  it('refuses operator headers outside the policy with 400, changing nothing', async () => {
    const jobId = await submit();
    for (const headers of [
      { 'x-stella-operator-reason': 'tab\there' },
      { 'x-stella-operator-reason': 'r'.repeat(257) },
      { 'x-stella-operator-ticket': 't'.repeat(129) },
    ]) {
      const res = await h.call('POST', `/jobs/${jobId}/cancel`, {}, headers);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(res.json().errors[0].path).toMatch(/^header\.x-stella-operator-(reason|ticket)$/);
    }
    expect((await h.call('GET', `/jobs/${jobId}`)).json().status).toBe('pending');
    expect(await entries()).toEqual([]);

    // At the limits, and UTF-8 sent as raw header bytes, is accepted and recorded as text.
    const utf8 = Buffer.from('café – €', 'utf8').toString('latin1');
    const ok = await h.call(
      'POST',
      `/jobs/${jobId}/cancel`,
      {},
      {
        'x-stella-operator-reason': utf8,
        'x-stella-operator-ticket': 't'.repeat(128),
      },
    );
    expect(ok.statusCode).toBe(200);
    expect((await entries())[0]).toMatchObject({ requestReason: 'café – €', requestTicket: 't'.repeat(128) });
  });

  it("keeps tenants apart: B lists nothing of A's, gets 404, and verifies a chain of its own", async () => {
    const jobId = await submit();
    await h.call('POST', `/jobs/${jobId}/cancel`, {}, OPERATOR);
    const [entry] = await entries();
    const other = { authorization: `Bearer ${await h.tokenFor({ tenant: `b-${h.tenant}` })}` };
    expect((await h.call('GET', '/audit', undefined, other)).json()).toEqual({
      items: [],
      next_page_token: null,
    });
    const got = await h.call('GET', `/audit/${entry!.auditId}`, undefined, other);
    expect(got.statusCode).toBe(404);
    expect(got.json()).toMatchObject({ code: 'AUDIT_ENTRY_NOT_FOUND' });
    expect((await h.call('GET', '/audit/not-a-uuid')).json()).toMatchObject({
      code: 'AUDIT_ENTRY_NOT_FOUND',
    });
    expect((await h.call('GET', '/audit/verify', undefined, other)).json()).toEqual({
      ok: true,
      checked: 0,
      lastSequence: 0,
      headHash: GENESIS_PREV_HASH,
    });
  });

  it('has no mutation: POST, PUT, PATCH and DELETE are 405 with Allow: GET', async () => {
    const jobId = await submit();
    await h.call('POST', `/jobs/${jobId}/cancel`, {}, OPERATOR);
    const [entry] = await entries();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      for (const path of ['/audit', `/audit/${entry!.auditId}`, '/audit/verify']) {
        const res = await h.call(method, path, method === 'DELETE' ? undefined : { reason: 'edited' });
        expect(res.statusCode, `${method} ${path}`).toBe(405);
        expect(res.headers['allow']).toBe('GET');
        expect(String(res.headers['content-type'])).toContain('application/problem+json');
        expect(res.json()).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
      }
    }
    expect(await entries()).toEqual([entry]);
  });

  it('verifies the chain, and names the sequence of an entry changed behind the API', async () => {
    for (let i = 0; i < 3; i++) {
      const jobId = await submit();
      await h.call('POST', `/jobs/${jobId}/cancel`, {}, OPERATOR);
    }
    const head = (await entries())[0]!;
    expect((await h.call('GET', '/audit/verify')).json()).toEqual({
      ok: true,
      checked: 3,
      lastSequence: 3,
      headHash: head.hash,
    });

    await h.driver.query('ALTER TABLE orch.audit_entries DISABLE TRIGGER USER');
    try {
      await h.driver.query(
        `UPDATE orch.audit_entries SET before = jsonb_set(before, '{status}', '"failed"')
         WHERE tenant_id = $1 AND sequence = 2`,
        [h.tenant],
      );
    } finally {
      await h.driver.query('ALTER TABLE orch.audit_entries ENABLE TRIGGER USER');
    }
    expect((await h.call('GET', '/audit/verify')).json()).toEqual({
      ok: false,
      brokenAt: 2,
      reason: 'hash_mismatch',
    });
  });

  it('validates the query and documents the audit endpoints in OpenAPI', async () => {
    for (const query of ['?page_size=0', '?occurred_after=yesterday', '?unknown=1', '?page_token=garbage!']) {
      expect((await h.call('GET', `/audit${query}`)).statusCode, query).toBe(400);
    }
    const now = new Date().toISOString();
    const window = await h.call('GET', `/audit?occurred_after=${now}&occurred_before=${now}`);
    expect(window.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    const doc = (await h.call('GET', '/.well-known/openapi')).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/orchestrator/audit',
        '/api/v1/orchestrator/audit/verify',
        '/api/v1/orchestrator/audit/{auditId}',
      ]),
    );
  });
});
