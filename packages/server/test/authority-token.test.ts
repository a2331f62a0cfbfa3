import { AUTHORITY_TENANT, SCOPES } from '@stella-orch/core';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HARNESS_CLIENT, ledgerEngines, startHarnessOn, type Harness } from './harness.js';

/** The fields of a token request that passes, for the harness client. */
function grantForm(tenant: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: 'client_credentials',
    client_id: HARNESS_CLIENT.clientId,
    client_secret: HARNESS_CLIENT.clientSecret,
    scope: 'orch:read orch:operate',
    tenant,
    operator_reason: 'clear the backlog of the NVD feed',
    operator_ticket: 'INC-4711',
    ...extra,
  };
}

/** `form` without `keys`. */
function omit(form: Record<string, string>, ...keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(form).filter(([key]) => !keys.includes(key)));
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

const ENGINES = await ledgerEngines('Authority token suite');

describe.each(ENGINES)('POST /connect/token (client credentials) on %s', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarnessOn(engine, {
      config: {
        authority: {
          bootstrapClients: false,
          tokenRateLimit: { requestsPerSecond: 1_000, burst: 1_000 },
          clients: [
            {
              clientId: HARNESS_CLIENT.clientId,
              displayName: 'harness',
              clientSecret: HARNESS_CLIENT.clientSecret,
              clientSecretHash: null,
              scopes: [...SCOPES],
              tenants: ['*'],
            },
            {
              clientId: 'reader',
              displayName: 'reader',
              clientSecret: 'reader-secret-0123456789',
              clientSecretHash: null,
              scopes: ['orch:read'],
              tenants: ['tenant-r'],
            },
          ],
        },
      },
    });
  });
  beforeEach(() => {
    h.newTenant();
  });
  afterAll(async () => {
    await h.close();
  });

  /** The tenant's audit entries, newest first, read with an all-scopes token. */
  async function auditOf(tenant: string): Promise<Record<string, unknown>[]> {
    const token = await h.tokenFor({ tenant });
    const res = await h.call('GET', '/audit?page_size=500', undefined, { authorization: `Bearer ${token}` });
    expect(res.statusCode).toBe(200);
    return res.json().items;
  }

  it('issues an RFC 9068 token carrying the tenant, the scopes and the reason and ticket', async () => {
    const res = await h.requestToken(grantForm(h.tenant));
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 900,
      scope: 'orch:read orch:operate',
      tenant: h.tenant,
    });
    const header = decodeProtectedHeader(body.access_token);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(typeof header.kid).toBe('string');
    const claims = decodeJwt(body.access_token);
    expect(claims).toMatchObject({
      iss: 'stella-orch',
      aud: 'stella-orch-api',
      sub: HARNESS_CLIENT.clientId,
      client_id: HARNESS_CLIENT.clientId,
      scope: 'orch:read orch:operate',
      tenant: h.tenant,
      operator_reason: 'clear the backlog of the NVD feed',
      operator_ticket: 'INC-4711',
    });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(typeof claims.jti).toBe('string');
    // The token opens the API for its tenant.
    const listed = await h.call('GET', '/jobs', undefined, { authorization: `Bearer ${body.access_token}` });
    expect(listed.statusCode).toBe(200);
  });

  it('accepts the client credentials as HTTP Basic too', async () => {
    const form = omit(grantForm(h.tenant), 'client_id', 'client_secret');
    const res = await h.requestToken(form, {
      authorization: basic(HARNESS_CLIENT.clientId, HARNESS_CLIENT.clientSecret),
    });
    expect(res.statusCode).toBe(200);
    expect(decodeJwt(res.json().access_token).sub).toBe(HARNESS_CLIENT.clientId);
  });

  it('records the grant in the tenant chain: client, scopes, reason, ticket — never the secret', async () => {
    await h.requestToken(grantForm(h.tenant, { quota_reason: 'raise the NVD quota' }));
    const [entry, ...rest] = await auditOf(h.tenant);
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      action: 'token.grant',
      resourceType: 'client',
      resourceId: HARNESS_CLIENT.clientId,
      actor: {
        subject: HARNESS_CLIENT.clientId,
        clientId: HARNESS_CLIENT.clientId,
        scopes: ['orch:read', 'orch:operate'],
      },
      reason: 'clear the backlog of the NVD feed',
      ticket: 'INC-4711',
      after: {
        outcome: 'granted',
        tenant: h.tenant,
        scopes: ['orch:read', 'orch:operate'],
        quotaReason: 'raise the NVD quota',
      },
    });
    expect(JSON.stringify(entry)).not.toContain(HARNESS_CLIENT.clientSecret);
  });

  it('defaults the tenant of a client allowed only one', async () => {
    const res = await h.requestToken({
      grant_type: 'client_credentials',
      client_id: 'reader',
      client_secret: 'reader-secret-0123456789',
      scope: 'orch:read',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().tenant).toBe('tenant-r');
  });

  const refusals: readonly {
    readonly name: string;
    readonly form: (tenant: string) => Record<string, string>;
    readonly headers?: Record<string, string>;
    readonly status: number;
    readonly error: string;
    /** Where the refusal is recorded: the requested tenant's chain, the Authority's, or a named one. */
    readonly chain: 'tenant' | 'system' | 'tenant-r';
  }[] = [
    {
      name: 'no grant type',
      form: (t) => grantForm(t, { grant_type: '' }),
      status: 400,
      error: 'invalid_request',
      chain: 'system',
    },
    {
      name: 'another grant type',
      form: (t) => grantForm(t, { grant_type: 'password' }),
      status: 400,
      error: 'unsupported_grant_type',
      chain: 'system',
    },
    {
      name: 'orch:operate without operator_reason',
      form: (t) => omit(grantForm(t), 'operator_reason'),
      status: 400,
      error: 'invalid_request',
      chain: 'tenant',
    },
    {
      name: 'orch:operate without operator_ticket',
      form: (t) => omit(grantForm(t), 'operator_ticket'),
      status: 400,
      error: 'invalid_request',
      chain: 'tenant',
    },
    {
      name: 'orch:backfill without backfill_ticket',
      form: (t) => grantForm(t, { scope: 'orch:backfill', backfill_reason: 'reingest 2024' }),
      status: 400,
      error: 'invalid_request',
      chain: 'tenant',
    },
    {
      name: 'orch:quota without quota_reason',
      form: (t) => grantForm(t, { scope: 'orch:quota' }),
      status: 400,
      error: 'invalid_request',
      chain: 'tenant',
    },
    {
      name: 'a reason of 257 characters',
      form: (t) => grantForm(t, { operator_reason: 'r'.repeat(257) }),
      status: 400,
      error: 'invalid_request',
      chain: 'tenant',
    },
    {
      name: 'a ticket of 129 characters',
      form: (t) => grantForm(t, { operator_ticket: 't'.repeat(129) }),
      status: 400,
      error: 'invalid_request',
      chain: 'tenant',
    },
    {
      name: 'a control character in the ticket',
      form: (t) => grantForm(t, { operator_ticket: 'INC-1\n2' }),
      status: 400,
      error: 'invalid_request',
      chain: 'tenant',
    },
    {
      name: 'an unknown scope',
      form: (t) => grantForm(t, { scope: 'orch:read orch:root' }),
      status: 400,
      error: 'invalid_scope',
      chain: 'tenant',
    },
    {
      name: 'no scope',
      form: (t) => grantForm(t, { scope: '' }),
      status: 400,
      error: 'invalid_request',
      chain: 'tenant',
    },
    {
      name: 'a wrong secret',
      form: (t) => grantForm(t, { client_secret: 'not-the-secret-000000' }),
      status: 401,
      error: 'invalid_client',
      chain: 'system',
    },
    {
      name: "another client's secret",
      form: (t) => grantForm(t, { client_id: 'reader' }),
      status: 401,
      error: 'invalid_client',
      chain: 'system',
    },
    {
      name: 'an unknown client',
      form: (t) => grantForm(t, { client_id: 'nobody' }),
      status: 401,
      error: 'invalid_client',
      chain: 'system',
    },
    {
      name: 'no client credentials',
      form: (t) => omit(grantForm(t), 'client_id', 'client_secret'),
      status: 401,
      error: 'invalid_client',
      chain: 'system',
    },
    {
      name: 'a malformed Authorization header',
      form: (t) => omit(grantForm(t), 'client_secret'),
      headers: { authorization: 'Basic %%%' },
      status: 401,
      error: 'invalid_client',
      chain: 'system',
    },
    {
      name: 'a secret both in Basic and in the body',
      form: (t) => grantForm(t),
      headers: { authorization: basic(HARNESS_CLIENT.clientId, HARNESS_CLIENT.clientSecret) },
      status: 400,
      error: 'invalid_request',
      chain: 'system',
    },
    {
      name: 'a scope the client may not have',
      form: () => ({
        grant_type: 'client_credentials',
        client_id: 'reader',
        client_secret: 'reader-secret-0123456789',
        scope: 'orch:read orch:submit',
        tenant: 'tenant-r',
      }),
      status: 400,
      error: 'invalid_scope',
      chain: 'tenant-r',
    },
    {
      name: 'a tenant the client may not use',
      form: () => ({
        grant_type: 'client_credentials',
        client_id: 'reader',
        client_secret: 'reader-secret-0123456789',
        scope: 'orch:read',
        tenant: 'tenant-x',
      }),
      status: 400,
      error: 'invalid_target',
      chain: 'system',
    },
  ];

  it.each(refusals)('refuses $name with $error, issues nothing and records the refusal', async (refusal) => {
    const tenant = h.tenant;
    const chain = { tenant, system: AUTHORITY_TENANT, 'tenant-r': 'tenant-r' }[refusal.chain];
    const before = (await auditOf(chain)).length;
    const res = await h.requestToken(refusal.form(tenant), refusal.headers);
    expect(res.statusCode).toBe(refusal.status);
    const body = res.json();
    expect(body.error).toBe(refusal.error);
    expect(typeof body.error_description).toBe('string');
    expect(body).not.toHaveProperty('access_token');
    if (refusal.status === 401) expect(res.headers['www-authenticate']).toMatch(/^Basic /);
    const tenantEntries = await auditOf(tenant);
    const systemEntries = await auditOf(AUTHORITY_TENANT);
    const chainEntries = await auditOf(chain);
    const recorded = chainEntries.slice(0, chainEntries.length - before);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      action: 'token.refuse',
      after: { outcome: 'refused', error: refusal.error },
    });
    if (refusal.chain !== 'tenant') expect(tenantEntries).toEqual([]);
    for (const entry of [...tenantEntries, ...systemEntries]) {
      expect(JSON.stringify(entry)).not.toContain(HARNESS_CLIENT.clientSecret);
      expect(JSON.stringify(entry)).not.toContain('reader-secret-0123456789');
    }
  });

  it('refuses repeated parameters and a body that is not a form', async () => {
    const twice = await h.app.inject({
      method: 'POST',
      url: '/connect/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `${new URLSearchParams(grantForm(h.tenant)).toString()}&scope=orch:admin`,
    });
    expect(twice.statusCode).toBe(400);
    expect(twice.json()).toMatchObject({ error: 'invalid_request' });
    expect(twice.json().error_description).toContain('scope');
    const json = await h.app.inject({
      method: 'POST',
      url: '/connect/token',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(grantForm(h.tenant)),
    });
    expect(json.statusCode).toBe(400);
    expect(json.json()).toMatchObject({ error: 'invalid_request' });
    const empty = await h.app.inject({ method: 'POST', url: '/connect/token' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('serves the discovery document and the JWKS of the signing key', async () => {
    const discovery = await h.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' });
    expect(discovery.statusCode).toBe(200);
    expect(discovery.json()).toMatchObject({
      issuer: 'stella-orch',
      grant_types_supported: ['client_credentials'],
      scopes_supported: [...SCOPES],
    });
    expect(discovery.json().token_endpoint).toMatch(/\/connect\/token$/);
    const token = (await h.requestToken(grantForm(h.tenant))).json().access_token;
    const jwks = (await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(decodeProtectedHeader(token).kid);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
  });
});
