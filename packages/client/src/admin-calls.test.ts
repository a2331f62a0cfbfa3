import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeAuditEntry, makeCheckpoint, makeRegisteredClient } from '../test/admin-fixtures.js';
import { FAKE_ADMIN_CLIENT, FakeAuthority } from '../test/fake-authority.js';
import { FakeHttpServer, problem } from '../test/fake-http-server.js';
import { OrchestratorClient } from './orchestrator-client.js';

const BASE = '/api/v1/orchestrator';

let server: FakeHttpServer;
let authority: FakeAuthority;
let admin: OrchestratorClient;
let reader: OrchestratorClient;

beforeEach(async () => {
  server = await FakeHttpServer.start();
  authority = FakeAuthority.install(server);
  const operator = { operatorReason: 'rotate after leak', operatorTicket: 'SEC-7' };
  admin = new OrchestratorClient({
    baseUrl: server.url,
    credentials: { ...FAKE_ADMIN_CLIENT, scopes: ['orch:admin'], ...operator },
  });
  reader = new OrchestratorClient({
    baseUrl: server.url,
    credentials: { ...FAKE_ADMIN_CLIENT, scopes: ['orch:read'] },
  });
});

afterEach(async () => {
  await server.close();
});

describe('client management', () => {
  it('registers a client with an orch:admin token and returns the generated secret', async () => {
    server.route('POST', `${BASE}/clients`, () => ({
      status: 201,
      body: { client: makeRegisteredClient(), clientSecret: 'generated' },
    }));

    const answer = await admin.addClient(
      { clientId: 'ingest-svc', scopes: ['orch:submit'], tenants: ['t1'] },
      { operatorReason: 'café → onboarding', operatorTicket: 'OPS-9' },
    );

    expect(answer).toEqual({ client: makeRegisteredClient(), clientSecret: 'generated' });
    const [request] = server.requestsTo('POST', `${BASE}/clients`);
    expect(request!.body).toEqual({ clientId: 'ingest-svc', scopes: ['orch:submit'], tenants: ['t1'] });
    expect(Buffer.from(request!.headers['x-stella-operator-reason'] as string, 'latin1').toString()).toBe(
      'café → onboarding',
    );
    expect(request!.headers['x-stella-operator-ticket']).toBe('OPS-9');
    expect(authority.tokenRequests[0]).toMatchObject({
      scope: 'orch:admin',
      operator_reason: 'rotate after leak',
      operator_ticket: 'SEC-7',
    });
  });

  it('lists, rotates, disables and enables clients by id', async () => {
    server.route('GET', `${BASE}/clients`, () => ({ body: { items: [makeRegisteredClient()] } }));
    server.route('POST', /\/clients\/[^/]+\/rotate-secret$/, () => ({
      body: { client: makeRegisteredClient(), clientSecret: 'new' },
    }));
    server.route('POST', /\/clients\/[^/]+\/(disable|enable)$/, (r) => ({
      body: { client: makeRegisteredClient({ disabled: r.path.endsWith('/disable') }) },
    }));

    expect(await admin.listClients()).toEqual([makeRegisteredClient()]);
    expect((await admin.rotateClientSecret('a b')).clientSecret).toBe('new');
    expect((await admin.disableClient('ingest-svc')).disabled).toBe(true);
    expect((await admin.enableClient('ingest-svc')).disabled).toBe(false);
    expect(server.requests.slice(1).map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${BASE}/clients`,
      `POST ${BASE}/clients/a%20b/rotate-secret`,
      `POST ${BASE}/clients/ingest-svc/disable`,
      `POST ${BASE}/clients/ingest-svc/enable`,
    ]);
  });

  it('surfaces CLIENT_EXISTS without repeating the registration', async () => {
    server.route('POST', `${BASE}/clients`, () => problem(409, 'CLIENT_EXISTS', 'ingest-svc exists'));
    await expect(
      admin.addClient({ clientId: 'ingest-svc', scopes: ['orch:read'], tenants: ['*'] }),
    ).rejects.toMatchObject({ status: 409, code: 'CLIENT_EXISTS' });
    expect(server.requestsTo('POST', `${BASE}/clients`)).toHaveLength(1);
  });
});

describe('audit trail', () => {
  it('maps the list filters to the query string and follows next_page_token', async () => {
    server.route('GET', `${BASE}/audit`, (r) => ({
      body:
        r.query.get('page_token') === 'p2'
          ? { items: [makeAuditEntry(1)], next_page_token: null }
          : { items: [makeAuditEntry(3), makeAuditEntry(2)], next_page_token: 'p2' },
    }));

    const pages = [];
    for await (const page of reader.listAllAuditEntries({
      actor: 'alice',
      clientId: 'ops-cli',
      action: 'job.cancel',
      resourceType: 'job',
      resourceId: 'j-1',
      ticket: 'OPS-1',
      occurredAfter: '2030-01-01T00:00:00.000Z',
      occurredBefore: '2030-02-01T00:00:00.000Z',
      pageSize: 2,
    })) {
      pages.push(page.items.map((e) => e.sequence));
    }

    expect(pages).toEqual([[3, 2], [1]]);
    const [first, second] = server.requestsTo('GET', `${BASE}/audit`);
    expect(Object.fromEntries(first!.query)).toEqual({
      actor: 'alice',
      clientId: 'ops-cli',
      action: 'job.cancel',
      resourceType: 'job',
      resourceId: 'j-1',
      ticket: 'OPS-1',
      occurred_after: '2030-01-01T00:00:00.000Z',
      occurred_before: '2030-02-01T00:00:00.000Z',
      page_size: '2',
    });
    expect(second!.query.get('page_token')).toBe('p2');
  });

  it('reads an entry and the verification', async () => {
    server.route('GET', `${BASE}/audit/a-1`, () => ({ body: makeAuditEntry(1) }));
    server.route('GET', `${BASE}/audit/verify`, () => ({
      body: { ok: false, brokenAt: 4, reason: 'prev_hash_mismatch' },
    }));
    expect(await reader.getAuditEntry('a-1')).toEqual(makeAuditEntry(1));
    expect(await reader.verifyAudit()).toEqual({ ok: false, brokenAt: 4, reason: 'prev_hash_mismatch' });
  });

  it('creates a checkpoint with orch:admin and reads the latest, null when there is none', async () => {
    const checkpoint = makeCheckpoint();
    server.route('POST', `${BASE}/audit/checkpoints`, () => ({ status: 201, body: checkpoint }));
    expect(await admin.createAuditCheckpoint()).toEqual(checkpoint);

    server.route('GET', `${BASE}/audit/checkpoints/latest`, () =>
      problem(404, 'AUDIT_CHECKPOINT_NOT_FOUND', 'none yet'),
    );
    expect(await reader.getLatestAuditCheckpoint()).toBeNull();
  });

  it('does not read a missing endpoint as "no checkpoint"', async () => {
    await expect(reader.getLatestAuditCheckpoint()).rejects.toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });

  it('exports the NDJSON text as sent, and the manifest of the same range', async () => {
    const ndjson = `${JSON.stringify(makeAuditEntry(1))}\n${JSON.stringify(makeAuditEntry(2))}\n`;
    const digest = `sha256:${createHash('sha256').update(ndjson).digest('hex')}`;
    server.route('GET', `${BASE}/audit/export`, () => ({
      text: ndjson,
      headers: { 'content-type': 'application/x-ndjson' },
    }));
    server.route('GET', `${BASE}/audit/export/manifest`, () => ({ body: { ndjsonDigest: digest } }));

    const text = await reader.exportAudit({ fromSequence: 1, throughSequence: 2 });
    const manifest = await reader.getAuditExportManifest({ fromSequence: 1, throughSequence: 2 });

    expect(text).toBe(ndjson);
    expect(manifest.ndjsonDigest).toBe(digest);
    for (const path of [`${BASE}/audit/export`, `${BASE}/audit/export/manifest`]) {
      const [request] = server.requestsTo('GET', path);
      expect(Object.fromEntries(request!.query)).toEqual({ from_sequence: '1', through_sequence: '2' });
    }
    expect(server.requestsTo('GET', `${BASE}/audit/export`)[0]!.headers.accept).toContain(
      'application/x-ndjson',
    );
  });
});
