import { createTestDatabase, requireServices, type TestDatabase } from '@stella-orch/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARNESS_CLIENT, startHarness, type Harness } from './harness.js';

/**
 * The end-to-end plan of the operator-scope feature, every point, over real HTTP against a listening
 * server, on PGlite and on PostgreSQL: tokens come from `POST /connect/token` like any client's.
 */
const postgres = await requireServices(['postgres'], 'operator audit end-to-end suite on PostgreSQL');

describe.each([
  { engine: 'PGlite', enabled: true },
  { engine: 'PostgreSQL', enabled: postgres },
])('operator scope with audit metadata, end to end on $engine', ({ engine, enabled }) => {
  let h: Harness;
  let database: TestDatabase | undefined;
  let base: string;
  const tenantA = `acme-${Math.random().toString(36).slice(2, 8)}`;
  const tenantB = `globex-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    if (!enabled) return;
    database = engine === 'PostgreSQL' ? await createTestDatabase('stella_orch_audit_e2e') : undefined;
    h = await startHarness(database === undefined ? {} : { databaseUrl: database.url });
    base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  }, 60_000);

  afterAll(async () => {
    if (!enabled) return;
    await h.close();
    await database?.drop();
  });

  async function token(form: Record<string, string>): Promise<Response> {
    return fetch(`${base}/connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: HARNESS_CLIENT.clientId,
        client_secret: HARNESS_CLIENT.clientSecret,
        ...form,
      }),
    });
  }

  async function accessToken(form: Record<string, string>): Promise<string> {
    const res = await token(form);
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  async function api(
    accessTokenValue: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Response> {
    return fetch(`${base}/api/v1/orchestrator${path}`, {
      method,
      headers: {
        authorization: `Bearer ${accessTokenValue}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async function submitJob(tenant: string): Promise<string> {
    const producer = await accessToken({ scope: 'orch:submit', tenant });
    const res = await api(producer, 'POST', '/jobs', { jobType: 'scan' });
    expect(res.status).toBe(201);
    return ((await res.json()) as { jobId: string }).jobId;
  }

  async function auditEntries(tenant: string, query = ''): Promise<Record<string, unknown>[]> {
    const reader = await accessToken({ scope: 'orch:read', tenant });
    const res = await api(reader, 'GET', `/audit?page_size=500${query}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Record<string, unknown>[] }).items;
  }

  const operatorForm = (tenant: string) => ({
    scope: 'orch:operate orch:read',
    tenant,
    operator_reason: 'maintenance',
    operator_ticket: 'TICKET-123',
  });

  it.skipIf(!enabled)(
    '1. issues a token with orch:operate, operator_reason and operator_ticket',
    async () => {
      const res = await token(operatorForm(tenantA));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { access_token: string; scope: string };
      expect(body.scope).toBe('orch:operate orch:read');
      const claims = JSON.parse(
        Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString(),
      ) as Record<string, unknown>;
      expect(claims).toMatchObject({
        operator_reason: 'maintenance',
        operator_ticket: 'TICKET-123',
        tenant: tenantA,
      });
    },
  );

  it.skipIf(!enabled)(
    '2. an operator action with that token records an entry with its reason and ticket',
    async () => {
      const jobId = await submitJob(tenantA);
      const operator = await accessToken(operatorForm(tenantA));
      const res = await api(operator, 'POST', `/jobs/${jobId}/cancel`, {});
      expect(res.status).toBe(200);
      const [entry] = (await auditEntries(tenantA, '&action=job.cancel')) as [Record<string, unknown>];
      expect(entry).toMatchObject({
        action: 'job.cancel',
        resourceId: jobId,
        reason: 'maintenance',
        ticket: 'TICKET-123',
        actor: { subject: HARNESS_CLIENT.clientId, clientId: HARNESS_CLIENT.clientId },
      });
    },
  );

  it.skipIf(!enabled)('3. refuses the operator token request without operator_reason with 400', async () => {
    const form: Record<string, string> = { ...operatorForm(tenantA) };
    delete form['operator_reason'];
    const res = await token(form);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    // And an operator action whose token and request give no reason is refused with 400 as well.
    const jobId = await submitJob(tenantA);
    const bare = await h.tokenFor({ tenant: tenantA, scopes: ['orch:operate'] });
    const action = await api(bare, 'POST', `/jobs/${jobId}/cancel`, {});
    expect(action.status).toBe(400);
    expect(await action.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it.skipIf(!enabled)('4. filters the audit trail by operator ticket', async () => {
    const jobId = await submitJob(tenantA);
    const other = await accessToken({ ...operatorForm(tenantA), operator_ticket: 'TICKET-999' });
    expect((await api(other, 'POST', `/jobs/${jobId}/cancel`, {})).status).toBe(200);
    const matching = await auditEntries(tenantA, '&ticket=TICKET-999');
    // The grant of the token is on record under its ticket too.
    expect(matching.map((e) => [e['action'], e['ticket']])).toEqual([
      ['job.cancel', 'TICKET-999'],
      ['token.grant', 'TICKET-999'],
    ]);
    const older = await auditEntries(tenantA, '&ticket=TICKET-123&action=job.cancel');
    expect(older.length).toBeGreaterThanOrEqual(1);
    expect(older.every((e) => e['ticket'] === 'TICKET-123')).toBe(true);
  });

  it.skipIf(!enabled)('5. forbids operator actions to a token without orch:operate (403)', async () => {
    const jobId = await submitJob(tenantA);
    const reader = await accessToken({ scope: 'orch:read orch:submit', tenant: tenantA });
    for (const action of ['cancel', 'retry', 'replay']) {
      const res = await api(reader, 'POST', `/jobs/${jobId}/${action}`, {});
      expect(res.status, action).toBe(403);
      expect(await res.json()).toMatchObject({
        code: 'INSUFFICIENT_SCOPE',
        details: { requiredScope: 'orch:operate' },
      });
    }
  });

  it.skipIf(!enabled)('6. records each of several operator actions in its own entry', async () => {
    const before = (await auditEntries(tenantA, '&action=job.cancel')).length;
    const operator = await accessToken(operatorForm(tenantA));
    const jobs = [await submitJob(tenantA), await submitJob(tenantA), await submitJob(tenantA)];
    for (const jobId of jobs)
      expect((await api(operator, 'POST', `/jobs/${jobId}/cancel`, {})).status).toBe(200);
    const cancels = await auditEntries(tenantA, '&action=job.cancel');
    expect(cancels).toHaveLength(before + 3);
    expect(cancels.slice(0, 3).map((e) => e['resourceId'])).toEqual([...jobs].reverse());
    for (const entry of cancels.slice(0, 3))
      expect(entry).toMatchObject({ reason: 'maintenance', ticket: 'TICKET-123' });
    const sequences = (await auditEntries(tenantA)).map((e) => e['sequence'] as number);
    expect(sequences).toEqual(Array.from({ length: sequences.length }, (_, i) => sequences.length - i));
  });

  it.skipIf(!enabled)("7. keeps tenant A's actions out of tenant B's trail", async () => {
    const entriesOfA = await auditEntries(tenantA);
    expect(entriesOfA.length).toBeGreaterThan(0);
    const entriesOfB = await auditEntries(tenantB);
    expect(entriesOfB.every((e) => e['tenantId'] === tenantB)).toBe(true);
    expect(entriesOfB.some((e) => e['action'] === 'job.cancel')).toBe(false);
    const readerB = await accessToken({ scope: 'orch:read', tenant: tenantB });
    const some = entriesOfA[0]!;
    expect((await api(readerB, 'GET', `/audit/${String(some['auditId'])}`)).status).toBe(404);
    const forged = await fetch(`${base}/api/v1/orchestrator/audit`, {
      headers: { authorization: `Bearer ${readerB}`, 'x-stella-tenant': tenantA },
    });
    expect(forged.status).toBe(403);
  });

  it.skipIf(!enabled)(
    '8. refuses to modify an existing entry, through the API and in the database',
    async () => {
      const [entry] = (await auditEntries(tenantA)) as [Record<string, unknown>];
      const admin = await accessToken({ ...operatorForm(tenantA), scope: 'orch:read orch:admin' });
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const res = await api(
          admin,
          method,
          `/audit/${String(entry['auditId'])}`,
          method === 'DELETE' ? undefined : { reason: 'edited' },
        );
        expect(res.status, method).toBe(405);
      }
      await expect(
        h.driver.query(`UPDATE orch.audit_entries SET reason = 'edited' WHERE tenant_id = $1`, [tenantA]),
      ).rejects.toThrow(/append-only/);
      await expect(
        h.driver.query(`DELETE FROM orch.audit_entries WHERE tenant_id = $1`, [tenantA]),
      ).rejects.toThrow(/append-only/);
      await expect(h.driver.query(`TRUNCATE orch.audit_entries`)).rejects.toThrow(/append-only/);
      const after = (await auditEntries(tenantA)).find((e) => e['auditId'] === entry['auditId']);
      expect(after).toEqual(entry);
      const verify = await api(admin, 'GET', '/audit/verify');
      expect(await verify.json()).toMatchObject({ ok: true });
    },
  );
  /** Runs `change` with the user triggers of the audit tables off, as their owner or a superuser could. */
  async function behindTheLedger(change: () => Promise<void>): Promise<void> {
    const tables = ['orch.audit_entries', 'orch.audit_heads'];
    for (const table of tables) await h.driver.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    try {
      await change();
    } finally {
      for (const table of tables) await h.driver.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
    }
  }

  /** A fresh tenant with `count` audited cancels. */
  async function tenantWithCancels(count: number): Promise<{ tenant: string; operator: string }> {
    const tenant = `tamper-${Math.random().toString(36).slice(2, 8)}`;
    const operator = await h.tokenFor({
      tenant,
      metadata: { operator_reason: 'maintenance', operator_ticket: 'TICKET-123' },
    });
    // Minted tokens, so that the chain holds the cancels only (no token.grant entries).
    for (let i = 0; i < count; i++) {
      const submitted = await api(operator, 'POST', '/jobs', { jobType: 'scan' });
      const { jobId } = (await submitted.json()) as { jobId: string };
      expect((await api(operator, 'POST', `/jobs/${jobId}/cancel`, {})).status).toBe(200);
    }
    return { tenant, operator };
  }

  it.skipIf(!enabled)('9. names the sequence of an entry whose payload was altered in SQL', async () => {
    const { tenant, operator } = await tenantWithCancels(4);
    expect(await (await api(operator, 'GET', '/audit/verify')).json()).toMatchObject({
      ok: true,
      lastSequence: 4,
    });
    await behindTheLedger(async () => {
      await h.driver.query(
        `UPDATE orch.audit_entries SET reason = 'nothing to see here' WHERE tenant_id = $1 AND sequence = 3`,
        [tenant],
      );
    });
    expect(await (await api(operator, 'GET', '/audit/verify')).json()).toEqual({
      ok: false,
      brokenAt: 3,
      reason: 'hash_mismatch',
    });
  });

  it.skipIf(!enabled)(
    '10. reports entries deleted from the tail, head rewound, against the checkpoint',
    async () => {
      const { tenant, operator } = await tenantWithCancels(3);
      const admin = await h.tokenFor({
        tenant,
        metadata: { operator_reason: 'daily checkpoint', operator_ticket: 'SEC-7' },
      });
      const checkpoint = await api(admin, 'POST', '/audit/checkpoints', {});
      expect(checkpoint.status).toBe(201);
      expect(await checkpoint.json()).toMatchObject({ sequence: 4 });
      await behindTheLedger(async () => {
        await h.driver.query(`DELETE FROM orch.audit_entries WHERE tenant_id = $1 AND sequence >= 3`, [
          tenant,
        ]);
        await h.driver.query(
          `UPDATE orch.audit_heads h SET last_sequence = 2, last_hash = e.hash
         FROM orch.audit_entries e WHERE h.tenant_id = $1 AND e.tenant_id = $1 AND e.sequence = 2`,
          [tenant],
        );
      });
      expect(await (await api(operator, 'GET', '/audit/verify')).json()).toEqual({
        ok: false,
        brokenAt: 3,
        reason: 'truncated',
      });
    },
  );
});
