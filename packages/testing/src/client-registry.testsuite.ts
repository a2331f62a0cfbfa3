import { randomUUID } from 'node:crypto';
import {
  AUTHORITY_TENANT,
  SCOPES,
  verifyAuditChain,
  type AuditEntry,
  type AuditTrail,
  type ClientChangeContext,
  type ClientRegistry,
  type NewOAuthClient,
} from '@stella-orch/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { operatorAudit, rejection, type LedgerSql } from './audit-fixtures.js';
import { expectCode } from './job-store-fixtures.js';

/** Makes the registry and the audit trail under test (one database), raw SQL on it, and the cleanup. */
export type ClientRegistryFactory = () => Promise<{
  readonly clients: ClientRegistry;
  readonly audit: AuditTrail;
  readonly sql: LedgerSql;
  cleanup(): Promise<void>;
}>;

/** What each test gets. */
interface ClientRegistryContext {
  readonly clients: ClientRegistry;
  readonly audit: AuditTrail;
  readonly sql: LedgerSql;
}

const ADMIN = { subject: 'admin', clientId: 'console', scopes: ['orch:admin'] };
const SECRET_HASH = 'scrypt$N=16384,r=8,p=1$c2FsdC1zYWx0$aGFzaC1vZi10aGUtc2VjcmV0';
const NEW_SECRET_HASH = 'scrypt$N=16384,r=8,p=1$bmV3LXNhbHQ$aGFzaC1vZi10aGUtbmV3LXNlY3JldA';

/** A client with an id of its own: tests share the registry. */
function newClient(overrides: Partial<NewOAuthClient> = {}): NewOAuthClient {
  return {
    clientId: `client-${randomUUID()}`,
    displayName: 'Ingestion bot',
    allowedScopes: ['orch:submit', 'orch:read'],
    allowedTenants: ['acme', 'globex'],
    secretHash: SECRET_HASH,
    ...overrides,
  };
}

function change(overrides: Partial<ClientChangeContext> = {}): ClientChangeContext {
  return { actor: ADMIN, audit: operatorAudit(), ...overrides };
}

/** The entries of the authority chain about one client, oldest first. */
async function clientEntries(ctx: ClientRegistryContext, clientId: string): Promise<AuditEntry[]> {
  const page = await ctx.audit
    .forTenant(AUTHORITY_TENANT)
    .listAuditEntries({ pageSize: 100, resourceType: 'client', resourceId: clientId });
  return [...page.items].reverse();
}

/** Asserts that the authority chain verifies from sequence 1 to its head. */
async function expectAuthorityChainIntact(ctx: ClientRegistryContext): Promise<void> {
  const trail = ctx.audit.forTenant(AUTHORITY_TENANT);
  const chain = await trail.readAuditChain({ fromSequence: 1, limit: 10_000 });
  expect(verifyAuditChain(chain, { expectedFirstSequence: 1 })).toMatchObject({ ok: true });
  expect(await trail.getAuditHead()).toEqual({ lastSequence: chain.length, lastHash: chain.at(-1)?.hash });
}

function expectNoSecret(entries: readonly AuditEntry[]): void {
  for (const entry of entries) {
    expect(JSON.stringify(entry)).not.toContain('scrypt');
  }
}

/**
 * The conformance suite of the {@link ClientRegistry} port: clients round-trip, every change appends its
 * audit entry (never the secret hash) to the chain of {@link AUTHORITY_TENANT} in the change's
 * transaction, and refused changes write nothing. Every test works with clients of its own.
 *
 * @param name - the adapter under test, as the suite's title
 * @param factory - makes the registry and trail (called once, before the tests) and the cleanup (after them)
 */
export function clientRegistryConformance(name: string, factory: ClientRegistryFactory): void {
  describe(`ClientRegistry conformance: ${name}`, () => {
    let made: Awaited<ReturnType<ClientRegistryFactory>> | undefined;
    const need = () => {
      if (made === undefined) throw new Error('the registry under test was not made (see beforeAll)');
      return made;
    };
    const ctx: ClientRegistryContext = {
      get clients() {
        return need().clients;
      },
      get audit() {
        return need().audit;
      },
      get sql() {
        return need().sql;
      },
    };
    beforeAll(async () => {
      made = await factory();
    });
    afterAll(async () => {
      await made?.cleanup();
    });

    registryTests(ctx);
  });
}

function registryTests(ctx: ClientRegistryContext): void {
  test('an added client reads back as a registry client, and its addition is audited without the hash', async () => {
    const client = newClient();
    const context = change();
    const added = await ctx.clients.addClient(client, context);
    expect(added).toEqual({
      ...client,
      disabled: false,
      source: 'registry',
      createdAt: expect.any(String),
      secretRotatedAt: null,
    });
    expect(Date.parse(added.createdAt!)).not.toBeNaN();
    expect(await ctx.clients.getClient(client.clientId)).toEqual(added);
    expect(await ctx.clients.listClients()).toContainEqual(added);

    const entries = await clientEntries(ctx, client.clientId);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      tenantId: AUTHORITY_TENANT,
      actor: ADMIN,
      action: 'client.add',
      resourceType: 'client',
      resourceId: client.clientId,
      after: {
        displayName: 'Ingestion bot',
        scopes: ['orch:submit', 'orch:read'],
        tenants: ['acme', 'globex'],
        disabled: false,
        secretRotatedAt: null,
      },
      reason: context.audit.reason,
      ticket: context.audit.ticket,
      requestReason: context.audit.requestReason,
      requestTicket: context.audit.requestTicket,
      correlationId: context.audit.correlationId,
    });
    expect(entries[0]).not.toHaveProperty('before');
    expectNoSecret(entries);
    await expectAuthorityChainIntact(ctx);
  });

  test('clients are listed by id; unknown and malformed ids are not found', async () => {
    const ids = ['zeta', 'alpha', 'mid'].map((prefix) => `${prefix}-${randomUUID()}`);
    for (const clientId of ids) await ctx.clients.addClient(newClient({ clientId }), change());
    const listed = (await ctx.clients.listClients()).map((c) => c.clientId);
    expect(listed.filter((id) => ids.includes(id))).toEqual([...ids].sort());
    expect(listed).toEqual([...listed].sort());
    expect(await ctx.clients.getClient(`missing-${randomUUID()}`)).toBeNull();
    expect(await ctx.clients.getClient("'; DROP TABLE orch.clients; --")).toBeNull();
  });

  test('every scope, the any-tenant pattern and no tenants at all are kept', async () => {
    const client = newClient({ allowedScopes: [...SCOPES], allowedTenants: ['*'] });
    expect(await ctx.clients.addClient(client, change())).toMatchObject({
      allowedScopes: [...SCOPES],
      allowedTenants: ['*'],
    });
    const none = newClient({ allowedScopes: [], allowedTenants: [] });
    expect(await ctx.clients.addClient(none, change())).toMatchObject({
      allowedScopes: [],
      allowedTenants: [],
    });
  });

  test('a taken id is CLIENT_EXISTS and changes nothing; concurrent additions of one id keep one', async () => {
    const client = newClient();
    const added = await ctx.clients.addClient(client, change());
    await expectCode(
      ctx.clients.addClient({ ...client, displayName: 'Impostor', secretHash: NEW_SECRET_HASH }, change()),
      'CLIENT_EXISTS',
    );
    expect(await ctx.clients.getClient(client.clientId)).toEqual(added);
    expect(await clientEntries(ctx, client.clientId)).toHaveLength(1);

    const contested = newClient();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => ctx.clients.addClient(contested, change())),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'CLIENT_EXISTS' });
    }
    expect(await clientEntries(ctx, contested.clientId)).toHaveLength(1);
    await expectAuthorityChainIntact(ctx);
  });

  test('a client the registry cannot keep is VALIDATION_FAILED and writes nothing', async () => {
    const head = await ctx.audit.forTenant(AUTHORITY_TENANT).getAuditHead();
    const invalid: NewOAuthClient[] = [
      newClient({ clientId: '-starts-with-a-dash' }),
      newClient({ clientId: 'x'.repeat(129) }),
      newClient({ displayName: '' }),
      newClient({ displayName: 'n'.repeat(257) }),
      newClient({ displayName: 'bell\u0007' }),
      newClient({ allowedScopes: ['orch:everything'] as unknown as NewOAuthClient['allowedScopes'] }),
      newClient({ allowedTenants: ['acme', 'no spaces'] }),
      newClient({ secretHash: '' }),
    ];
    for (const client of invalid) {
      await expectCode(ctx.clients.addClient(client, change()), 'VALIDATION_FAILED');
      expect(await ctx.clients.getClient(client.clientId)).toBeNull();
    }
    // The audit record is checked in the transaction of the addition: refused, it takes the client back.
    const client = newClient();
    await expectCode(
      ctx.clients.addClient(client, change({ audit: operatorAudit({ reason: 'line\nbreak' }) })),
      'VALIDATION_FAILED',
    );
    expect(await ctx.clients.getClient(client.clientId)).toBeNull();
    expect(await ctx.audit.forTenant(AUTHORITY_TENANT).getAuditHead()).toEqual(head);
  });

  test('rotating a secret replaces the hash and stamps the rotation; the entry shows only the stamp', async () => {
    const added = await ctx.clients.addClient(newClient(), change());
    const context = change();
    const rotated = await ctx.clients.rotateClientSecret(added.clientId, NEW_SECRET_HASH, context);
    expect(rotated).toEqual({ ...added, secretHash: NEW_SECRET_HASH, secretRotatedAt: expect.any(String) });
    expect(Date.parse(rotated.secretRotatedAt!)).toBeGreaterThanOrEqual(Date.parse(added.createdAt!));
    expect(await ctx.clients.getClient(added.clientId)).toEqual(rotated);

    const entries = await clientEntries(ctx, added.clientId);
    expect(entries.map((e) => e.action)).toEqual(['client.add', 'client.rotate_secret']);
    expect(entries[1]).toMatchObject({
      actor: ADMIN,
      before: { secretRotatedAt: null, disabled: false },
      after: { secretRotatedAt: rotated.secretRotatedAt, disabled: false },
      correlationId: context.audit.correlationId,
    });
    expectNoSecret(entries);

    await expectCode(
      ctx.clients.rotateClientSecret(`missing-${randomUUID()}`, NEW_SECRET_HASH, change()),
      'CLIENT_NOT_FOUND',
    );
    await expectCode(
      ctx.clients.rotateClientSecret('bad id!', NEW_SECRET_HASH, change()),
      'CLIENT_NOT_FOUND',
    );
    await expectCode(ctx.clients.rotateClientSecret(added.clientId, '', change()), 'VALIDATION_FAILED');
    expect(await ctx.clients.getClient(added.clientId)).toEqual(rotated);
    expect(await clientEntries(ctx, added.clientId)).toHaveLength(2);
  });

  test('disabling and enabling are audited; a repeat changes nothing and records nothing', async () => {
    const added = await ctx.clients.addClient(newClient(), change());
    const disabled = await ctx.clients.setClientDisabled(added.clientId, true, change());
    expect(disabled).toEqual({ ...added, disabled: true });
    expect(await ctx.clients.setClientDisabled(added.clientId, true, change())).toEqual(disabled);
    expect(await ctx.clients.getClient(added.clientId)).toEqual(disabled);
    const enabled = await ctx.clients.setClientDisabled(added.clientId, false, change());
    expect(enabled).toEqual(added);
    expect(await ctx.clients.setClientDisabled(added.clientId, false, change())).toEqual(added);

    const entries = await clientEntries(ctx, added.clientId);
    expect(entries.map((e) => e.action)).toEqual(['client.add', 'client.disable', 'client.enable']);
    expect(entries[1]).toMatchObject({ before: { disabled: false }, after: { disabled: true } });
    expect(entries[2]).toMatchObject({ before: { disabled: true }, after: { disabled: false } });

    await expectCode(
      ctx.clients.setClientDisabled(`missing-${randomUUID()}`, true, change()),
      'CLIENT_NOT_FOUND',
    );
    await expectAuthorityChainIntact(ctx);
  });

  test('a change without a correlation id still records one; the client table refuses what the port would', async () => {
    const added = await ctx.clients.addClient(newClient(), { actor: ADMIN, audit: {} });
    const [entry] = await clientEntries(ctx, added.clientId);
    expect(entry).toMatchObject({ action: 'client.add', correlationId: `client:${added.clientId}` });
    expect(entry).not.toHaveProperty('reason');

    expect(
      await rejection(
        ctx.sql.query("UPDATE orch.clients SET allowed_scopes = ARRAY['orch:root'] WHERE client_id = $1", [
          added.clientId,
        ]),
      ),
    ).toMatch(/clients_scopes_check/);
    expect(
      await rejection(
        ctx.sql.query('UPDATE orch.clients SET allowed_tenants = ARRAY[NULL]::text[] WHERE client_id = $1', [
          added.clientId,
        ]),
      ),
    ).toMatch(/clients_tenants_check/);
    expect(await ctx.clients.getClient(added.clientId)).toEqual(added);
  });
}
