import { AUTHORITY_TENANT } from '@stella-orch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARNESS_CLIENT, ledgerEngines, startHarnessOn, type Harness } from './harness.js';

const ENGINES = await ledgerEngines('Authority client suite');

describe.each(ENGINES)('client management (orch:admin) on %s', (engine) => {
  let h: Harness;
  let admin: Record<string, string>;
  beforeAll(async () => {
    h = await startHarnessOn(engine, {
      config: {
        authority: {
          tokenRateLimit: { requestsPerSecond: 1_000, burst: 1_000 },
        },
      },
    });
    const token = await h.tokenFor({
      clientId: 'root-ops',
      metadata: { operator_reason: 'onboard the NVD connector', operator_ticket: 'CHG-100' },
    });
    admin = { authorization: `Bearer ${token}` };
  });
  afterAll(async () => {
    await h.close();
  });

  function tokenRequest(clientId: string, clientSecret: string) {
    return h.requestToken({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: 'orch:submit',
      tenant: 'acme',
    });
  }

  async function authorityTrail(): Promise<Record<string, unknown>[]> {
    const token = await h.tokenFor({ tenant: AUTHORITY_TENANT });
    return (
      await h.call('GET', '/audit?page_size=500', undefined, { authorization: `Bearer ${token}` })
    ).json().items;
  }

  it('adds a client, shows its secret once, and the secret works', async () => {
    const res = await h.call(
      'POST',
      '/clients',
      { clientId: 'nvd-connector', scopes: ['orch:submit', 'orch:read'], tenants: ['acme'] },
      admin,
    );
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const { client, clientSecret } = res.json();
    expect(client).toMatchObject({
      clientId: 'nvd-connector',
      displayName: 'nvd-connector',
      scopes: ['orch:submit', 'orch:read'],
      tenants: ['acme'],
      disabled: false,
      source: 'registry',
    });
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await tokenRequest('nvd-connector', clientSecret)).statusCode).toBe(200);

    const listed = (await h.call('GET', '/clients', undefined, admin)).json().items;
    expect(listed.map((c: { clientId: string }) => c.clientId)).toEqual([
      HARNESS_CLIENT.clientId,
      'nvd-connector',
    ]);
    expect(JSON.stringify(listed)).not.toContain(clientSecret);
    expect(JSON.stringify(listed)).not.toContain('scrypt');

    const [entry] = await authorityTrail();
    expect(entry).toMatchObject({
      action: 'client.add',
      resourceType: 'client',
      resourceId: 'nvd-connector',
      actor: { subject: 'root-ops' },
      reason: 'onboard the NVD connector',
      ticket: 'CHG-100',
    });
    expect(JSON.stringify(entry)).not.toContain(clientSecret);
    expect(JSON.stringify(entry)).not.toContain('scrypt');
  });

  it('rotates a secret: the old one stops working, the new one works', async () => {
    const added = (
      await h.call(
        'POST',
        '/clients',
        { clientId: 'rotating', scopes: ['orch:submit'], tenants: ['*'] },
        admin,
      )
    ).json();
    const rotated = await h.call('POST', '/clients/rotating/rotate-secret', undefined, admin);
    expect(rotated.statusCode).toBe(200);
    const { clientSecret, client } = rotated.json();
    expect(client.secretRotatedAt).not.toBeNull();
    expect((await tokenRequest('rotating', added.clientSecret)).json()).toMatchObject({
      error: 'invalid_client',
    });
    expect((await tokenRequest('rotating', clientSecret)).statusCode).toBe(200);
    const trail = await authorityTrail();
    const changes = trail.filter((e) => String(e['action']).startsWith('client.'));
    expect(changes[0]).toMatchObject({ action: 'client.rotate_secret', resourceId: 'rotating' });
    // The refused request with the old secret is on record too.
    expect(trail[0]).toMatchObject({
      action: 'token.refuse',
      resourceId: 'rotating',
      after: { error: 'invalid_client', clientAuthenticated: false },
    });
  });

  it('disables and enables a client', async () => {
    const { clientSecret } = (
      await h.call(
        'POST',
        '/clients',
        { clientId: 'switchable', scopes: ['orch:submit'], tenants: ['*'] },
        admin,
      )
    ).json();
    const disabled = await h.call('POST', '/clients/switchable/disable', {}, admin);
    expect(disabled.json().client.disabled).toBe(true);
    expect((await tokenRequest('switchable', clientSecret)).json()).toMatchObject({
      error: 'invalid_client',
    });
    await h.call('POST', '/clients/switchable/enable', {}, admin);
    expect((await tokenRequest('switchable', clientSecret)).statusCode).toBe(200);
    const actions = (await authorityTrail())
      .map((e) => e['action'])
      .filter((action) => String(action).startsWith('client.'));
    expect(actions.slice(0, 4)).toEqual([
      'client.enable',
      'client.disable',
      'client.add',
      'client.rotate_secret',
    ]);
  });

  it('refuses duplicates, unknown clients, configured clients and bad bodies, changing nothing', async () => {
    const before = (await authorityTrail()).length;
    const cases: [string, string, unknown, number, string][] = [
      [
        'POST',
        '/clients',
        { clientId: 'nvd-connector', scopes: ['orch:read'], tenants: ['*'] },
        409,
        'CLIENT_EXISTS',
      ],
      [
        'POST',
        '/clients',
        { clientId: HARNESS_CLIENT.clientId, scopes: ['orch:read'], tenants: ['*'] },
        409,
        'CLIENT_EXISTS',
      ],
      ['POST', '/clients/nobody/disable', {}, 404, 'CLIENT_NOT_FOUND'],
      ['POST', '/clients/nobody/rotate-secret', {}, 404, 'CLIENT_NOT_FOUND'],
      ['POST', `/clients/${HARNESS_CLIENT.clientId}/disable`, {}, 409, 'CLIENT_READ_ONLY'],
      [
        'POST',
        '/clients',
        { clientId: 'x', scopes: ['orch:root'], tenants: ['*'] },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'POST',
        '/clients',
        { clientId: 'x', scopes: ['orch:read'], tenants: ['bad tenant'] },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'POST',
        '/clients',
        { clientId: 'bad id!', scopes: ['orch:read'], tenants: ['*'] },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'POST',
        '/clients',
        { clientId: 'x', scopes: ['orch:read'], tenants: ['*'], clientSecret: 'mine' },
        400,
        'VALIDATION_FAILED',
      ],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await h.call(method as 'POST', path, body, admin);
      expect(res.statusCode, `${path} ${JSON.stringify(body)}`).toBe(status);
      expect(res.json().code).toBe(code);
    }
    expect(await authorityTrail()).toHaveLength(before);
    expect((await h.call('GET', '/clients', undefined, admin)).json().items).toHaveLength(4);
  });

  it('refuses a client change whose token and request give no reason or ticket, changing nothing', async () => {
    const before = (await authorityTrail()).length;
    const bare = { authorization: `Bearer ${await h.tokenFor()}` };
    const res = await h.call(
      'POST',
      '/clients',
      { clientId: 'no-reason', scopes: ['orch:read'], tenants: ['*'] },
      bare,
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual([
      'header.x-stella-operator-reason',
      'header.x-stella-operator-ticket',
    ]);
    expect(await authorityTrail()).toHaveLength(before);
    // The request's own reason and ticket are enough.
    const given = await h.call(
      'POST',
      '/clients',
      { clientId: 'with-headers', scopes: ['orch:read'], tenants: ['*'] },
      { ...bare, 'x-stella-operator-reason': 'new dashboard', 'x-stella-operator-ticket': 'CHG-7' },
    );
    expect(given.statusCode).toBe(201);
    expect((await authorityTrail())[0]).toMatchObject({
      requestReason: 'new dashboard',
      requestTicket: 'CHG-7',
    });
  });
});
