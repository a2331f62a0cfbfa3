import { describe, expect, it } from 'vitest';
import type { AccessTokenClaims, TokenIssuer } from './access-token.js';
import { checkAuditRecord, GENESIS_PREV_HASH, sealAuditEntry, type AuditRecord } from './audit-entry.js';
import type { AuditTrail, TenantAuditTrail } from './audit-trail.js';
import {
  AuthorityService,
  type AuthorityOptions,
  type ClientDirectory,
  type SecretHasher,
} from './authority-service.js';
import { OrchestratorError, validationError } from './errors.js';
import { AUTHORITY_TENANT, type OAuthClient } from './oauth-client.js';
import { OAuthError, type OAuthErrorCode } from './oauth-error.js';
import type { Clock, Ids } from './ports.js';
import type { TokenRequestInput } from './token-request.js';

const SECRET = 'correct-horse-battery-staple';
/** 2030-01-01T00:00:00.750Z: the token times are whole seconds, rounded down. */
const NOW_MS = Date.UTC(2030, 0, 1) + 750;
const NOW_S = Math.floor(NOW_MS / 1000);
const OPTIONS: AuthorityOptions = {
  issuer: 'https://orch.example/authority',
  audience: 'stella-orchestrator',
  tokenLifetimeSeconds: 600,
};
const OPERATOR = { operator_reason: 'maintenance window', operator_ticket: 'OPS-1' };

function oauthClient(overrides: Partial<OAuthClient> = {}): OAuthClient {
  return {
    clientId: 'console',
    displayName: 'Operator console',
    allowedScopes: ['orch:read', 'orch:operate', 'orch:quota', 'orch:backfill'],
    allowedTenants: ['t1', 't2'],
    secretHash: `h:${SECRET}`,
    disabled: false,
    source: 'registry',
    createdAt: '2029-12-01T00:00:00.000Z',
    secretRotatedAt: null,
    ...overrides,
  };
}

function credentials(form: Record<string, string> = {}, clientId = 'console'): TokenRequestInput {
  return {
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: SECRET, ...form },
  };
}

/** A hasher whose hash is `h:` and the secret; it records every check, the dummy ones (`hash` null) too. */
function fakeHasher(): SecretHasher & { checks: { secret: string; hash: string | null }[] } {
  const checks: { secret: string; hash: string | null }[] = [];
  return {
    checks,
    hash: (secret) => Promise.resolve(`h:${secret}`),
    verify: (secret, hash) => {
      checks.push({ secret, hash });
      return Promise.resolve(hash !== null && hash === `h:${secret}`);
    },
  };
}

/** An issuer whose "token" is the JSON of the claims. */
function fakeIssuer(): TokenIssuer & { issued: AccessTokenClaims[] } {
  const issued: AccessTokenClaims[] = [];
  return {
    issued,
    issue: (claims) => {
      issued.push(claims);
      return Promise.resolve(JSON.stringify(claims));
    },
  };
}

/**
 * An audit trail keeping the records appended per tenant. Like the ledger, it refuses a record that
 * `checkAuditRecord` refuses; `failWith` makes every append fail. Nothing else is needed here.
 */
function fakeAudit(): AuditTrail & { records: Map<string, AuditRecord[]>; failWith: Error | null } {
  const records = new Map<string, AuditRecord[]>();
  const notUsed = (): Promise<never> => Promise.reject(new Error('not used by the Authority'));
  const audit = {
    records,
    failWith: null as Error | null,
    forTenant(tenantId: string): TenantAuditTrail {
      return {
        tenantId,
        appendAuditEntry: (record) => {
          if (audit.failWith !== null) return Promise.reject(audit.failWith);
          const errors = checkAuditRecord(record);
          if (errors.length > 0) return Promise.reject(validationError(errors));
          const kept = records.get(tenantId) ?? [];
          kept.push(record);
          records.set(tenantId, kept);
          return Promise.resolve(
            sealAuditEntry({
              ...record,
              auditId: `00000000-0000-4000-9000-${String(kept.length).padStart(12, '0')}`,
              tenantId,
              sequence: kept.length,
              occurredAt: new Date(NOW_MS).toISOString(),
              prevHash: GENESIS_PREV_HASH,
            }),
          );
        },
        listAuditEntries: notUsed,
        getAuditEntry: notUsed,
        readAuditChain: notUsed,
        getAuditHead: notUsed,
        appendAuditCheckpoint: notUsed,
        getLatestAuditCheckpoint: notUsed,
        recordAuditArchive: notUsed,
        getLatestAuditArchive: notUsed,
      };
    },
  };
  return audit;
}

function setup(
  clients: readonly OAuthClient[] = [oauthClient()],
  issuerFailure?: Error,
  options: AuthorityOptions = OPTIONS,
) {
  const issuer = fakeIssuer();
  if (issuerFailure !== undefined) issuer.issue = () => Promise.reject(issuerFailure);
  const directory: ClientDirectory = {
    findClient: (clientId) => Promise.resolve(clients.find((c) => c.clientId === clientId) ?? null),
  };
  const secrets = fakeHasher();
  const audit = fakeAudit();
  const clock: Clock = { nowMs: () => NOW_MS };
  let n = 0;
  const ids: Ids = {
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    random: () => 0.5,
  };
  const service = new AuthorityService({ clients: directory, secrets, issuer, audit, clock, ids }, options);
  /** The records of one tenant's chain. */
  const chain = (tenantId: string): AuditRecord[] => audit.records.get(tenantId) ?? [];
  /** The one record appended, wherever it went, with its tenant. */
  const only = (): { tenantId: string; record: AuditRecord } => {
    const all = [...audit.records].flatMap(([tenantId, rs]) => rs.map((record) => ({ tenantId, record })));
    expect(all).toHaveLength(1);
    return all[0]!;
  };
  return { service, secrets, audit, issuer, chain, only };
}

async function refusal(promise: Promise<unknown>): Promise<OAuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error('expected an OAuthError, the request was granted');
}

describe('AuthorityService.grantToken: a grant', () => {
  it('issues a token with the RFC 9068 claims, the tenant and the reason/ticket claims', async () => {
    const { service, issuer } = setup();
    const response = await service.grantToken(
      credentials({
        scope: 'orch:read orch:operate orch:read',
        tenant: 't2',
        ...OPERATOR,
        quota_reason: 'seasonal load',
      }),
      'corr-1',
    );
    const claims = {
      iss: OPTIONS.issuer,
      aud: OPTIONS.audience,
      sub: 'console',
      client_id: 'console',
      scope: 'orch:read orch:operate',
      tenant: 't2',
      jti: '00000000-0000-4000-8000-000000000001',
      iat: NOW_S,
      nbf: NOW_S,
      exp: NOW_S + 600,
      operator_reason: 'maintenance window',
      operator_ticket: 'OPS-1',
      quota_reason: 'seasonal load',
    };
    expect(issuer.issued).toEqual([claims]);
    expect(response).toEqual({
      access_token: JSON.stringify(claims),
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'orch:read orch:operate',
      tenant: 't2',
    });
  });

  it('checks the secret against the client’s hash', async () => {
    const { service, secrets } = setup();
    await service.grantToken(credentials({ scope: 'orch:read', tenant: 't1' }), 'corr-1');
    expect(secrets.checks).toEqual([{ secret: SECRET, hash: `h:${SECRET}` }]);
  });

  it('accepts the credentials as HTTP Basic', async () => {
    const { service } = setup();
    const response = await service.grantToken(
      {
        form: { grant_type: 'client_credentials', scope: 'orch:read', tenant: 't1' },
        basic: { clientId: 'console', clientSecret: SECRET },
      },
      'corr-1',
    );
    expect(JSON.parse(response.access_token)).toMatchObject({ sub: 'console', tenant: 't1' });
  });

  it('records token.grant in the chain of the token’s tenant, with the operator’s reason and ticket', async () => {
    const { service, only } = setup();
    await service.grantToken(
      credentials({
        scope: 'orch:operate orch:quota',
        tenant: 't2',
        ...OPERATOR,
        quota_reason: 'load',
        quota_ticket: 'CAP-2',
      }),
      'corr-7',
    );
    const { tenantId, record } = only();
    expect(tenantId).toBe('t2');
    expect(record).toEqual({
      actor: { subject: 'console', clientId: 'console', scopes: ['orch:operate', 'orch:quota'] },
      action: 'token.grant',
      resourceType: 'client',
      resourceId: 'console',
      after: {
        outcome: 'granted',
        scopes: ['orch:operate', 'orch:quota'],
        tenant: 't2',
        jti: '00000000-0000-4000-8000-000000000001',
        expiresAt: new Date((NOW_S + 600) * 1000).toISOString(),
        quotaReason: 'load',
        quotaTicket: 'CAP-2',
      },
      reason: 'maintenance window',
      ticket: 'OPS-1',
      correlationId: 'corr-7',
    });
    expect(record.after?.['expiresAt']).toBe('2030-01-01T00:10:00.000Z');
  });

  it('keeps the backfill reason and ticket under after, and leaves out reason/ticket it was not given', async () => {
    const { service, only } = setup();
    await service.grantToken(
      credentials({
        scope: 'orch:backfill',
        tenant: 't1',
        backfill_reason: 'missed feed',
        backfill_ticket: 'BF-3',
      }),
      'corr-1',
    );
    const { record } = only();
    expect(record.after).toMatchObject({ backfillReason: 'missed feed', backfillTicket: 'BF-3' });
    expect(record.after).not.toHaveProperty('quotaReason');
    expect(record).not.toHaveProperty('reason');
    expect(record).not.toHaveProperty('ticket');
  });

  it('defaults the tenant of a single-tenant client, also for an empty tenant field', async () => {
    const { service, chain } = setup([oauthClient({ allowedTenants: ['t1'] })]);
    expect((await service.grantToken(credentials({ scope: 'orch:read' }), 'c1')).tenant).toBe('t1');
    expect((await service.grantToken(credentials({ scope: 'orch:read', tenant: '' }), 'c2')).tenant).toBe(
      't1',
    );
    expect(chain('t1').map((r) => r.correlationId)).toEqual(['c1', 'c2']);
  });

  it('grants a * client any tenant it names', async () => {
    const { service, chain } = setup([oauthClient({ allowedTenants: ['*'] })]);
    const response = await service.grantToken(credentials({ scope: 'orch:read', tenant: 'acme' }), 'corr-1');
    expect(response.tenant).toBe('acme');
    expect(chain('acme')).toHaveLength(1);
  });
});

describe('AuthorityService.grantToken: refusals', () => {
  it('requires a tenant from a client that may use several, or any', async () => {
    for (const allowedTenants of [['t1', 't2'], ['*'], ['t1', '*']]) {
      const { service, only, issuer } = setup([oauthClient({ allowedTenants })]);
      const error = await refusal(service.grantToken(credentials({ scope: 'orch:read' }), 'corr-1'));
      expect(error.error).toBe('invalid_request');
      expect(error.message).toBe('tenant is required: client console may use several');
      expect(issuer.issued).toEqual([]);
      expect(only().tenantId).toBe(AUTHORITY_TENANT);
    }
  });

  it('takes the default tenant for a request that names none, when the client may use it', async () => {
    const withDefault = { ...OPTIONS, defaultTenant: 't2' };
    for (const allowedTenants of [['t1', 't2'], ['*']]) {
      const { service } = setup([oauthClient({ allowedTenants })], undefined, withDefault);
      const response = await service.grantToken(credentials({ scope: 'orch:read' }), 'corr-1');
      expect(response.tenant).toBe('t2');
    }
    const { service } = setup([oauthClient({ allowedTenants: ['t1', 't3'] })], undefined, withDefault);
    const error = await refusal(service.grantToken(credentials({ scope: 'orch:read' }), 'corr-1'));
    expect(error.message).toBe('tenant is required: client console may use several');
  });

  it('refuses a tenant the client may not use with invalid_target, recorded in the Authority’s chain', async () => {
    const { service, only, issuer } = setup();
    const error = await refusal(
      service.grantToken(credentials({ scope: 'orch:read', tenant: 't9' }), 'corr-1'),
    );
    expect(error.error).toBe('invalid_target');
    expect(error.status).toBe(400);
    expect(error.message).toBe('client console may not request tokens for t9');
    expect(issuer.issued).toEqual([]);
    const { tenantId, record } = only();
    expect(tenantId).toBe(AUTHORITY_TENANT);
    expect(record).toEqual({
      actor: { subject: 'console', clientId: 'console', scopes: ['orch:read'] },
      action: 'token.refuse',
      resourceType: 'client',
      resourceId: 'console',
      after: {
        outcome: 'refused',
        error: 'invalid_target',
        description: 'client console may not request tokens for t9',
        clientAuthenticated: true,
        scopes: ['orch:read'],
        tenant: 't9',
      },
      correlationId: 'corr-1',
    });
  });

  it('refuses scopes the client may not request with invalid_scope, recorded in the requested tenant', async () => {
    const { service, only } = setup([oauthClient({ allowedScopes: ['orch:read'] })]);
    const error = await refusal(
      service.grantToken(
        credentials({ scope: 'orch:read orch:operate orch:admin', tenant: 't1', ...OPERATOR }),
        'corr-1',
      ),
    );
    expect(error.error).toBe('invalid_scope');
    expect(error.message).toBe('client console may not request orch:operate, orch:admin');
    const { tenantId, record } = only();
    expect(tenantId).toBe('t1');
    expect(record).toMatchObject({
      action: 'token.refuse',
      actor: { subject: 'console', clientId: 'console', scopes: ['orch:read', 'orch:operate', 'orch:admin'] },
      after: { outcome: 'refused', error: 'invalid_scope', clientAuthenticated: true, tenant: 't1' },
      reason: 'maintenance window',
      ticket: 'OPS-1',
    });
  });

  it('records a refusal of a * client in the tenant it names', async () => {
    const { service, only } = setup([oauthClient({ allowedTenants: ['*'], allowedScopes: ['orch:read'] })]);
    expect(
      (await refusal(service.grantToken(credentials({ scope: 'orch:submit', tenant: 'acme' }), 'c'))).error,
    ).toBe('invalid_scope');
    expect(only()).toMatchObject({
      tenantId: 'acme',
      record: { after: { tenant: 'acme', clientAuthenticated: true } },
    });
  });

  it('records a refusal of an authenticated client that names no tenant in the Authority’s chain', async () => {
    const { service, only } = setup([oauthClient({ allowedTenants: ['t1'], allowedScopes: ['orch:read'] })]);
    const error = await refusal(service.grantToken(credentials({ scope: 'orch:submit' }), 'corr-1'));
    expect(error.error).toBe('invalid_scope');
    const { tenantId, record } = only();
    expect(tenantId).toBe(AUTHORITY_TENANT);
    expect(record.after).not.toHaveProperty('tenant');
  });

  it('records a malformed request of an authenticated client in its tenant, keeping what passes the policy', async () => {
    const { service, only } = setup();
    const error = await refusal(
      service.grantToken(
        credentials({
          scope: 'orch:operate',
          tenant: 't2',
          operator_reason: 'r'.repeat(257),
          operator_ticket: 'OPS-1',
        }),
        'corr-1',
      ),
    );
    expect(error.error).toBe('invalid_request');
    expect(error.message).toBe('operator_reason must be at most 256 characters');
    const { tenantId, record } = only();
    expect(tenantId).toBe('t2');
    expect(record).not.toHaveProperty('reason');
    expect(record.ticket).toBe('OPS-1');
    expect(record.after).toMatchObject({ error: 'invalid_request', scopes: ['orch:operate'], tenant: 't2' });
  });

  it('records a request missing the fields its scope requires', async () => {
    const { service, only } = setup();
    const error = await refusal(
      service.grantToken(
        credentials({ scope: 'orch:operate', tenant: 't1', operator_reason: 'why' }),
        'corr-1',
      ),
    );
    expect(error.message).toBe('scope orch:operate requires operator_ticket');
    expect(only()).toMatchObject({
      tenantId: 't1',
      record: { reason: 'why', after: { outcome: 'refused' } },
    });
  });

  describe('invalid_client', () => {
    const cases: [string, OAuthClient[], string, string | null][] = [
      ['an unknown client', [oauthClient({ clientId: 'other' })], SECRET, null],
      ['a disabled client, even with its secret', [oauthClient({ disabled: true })], SECRET, null],
      ['a wrong secret', [oauthClient()], 'wrong-secret', `h:${SECRET}`],
    ];
    for (const [name, clients, secret, hashChecked] of cases) {
      it(`refuses ${name} with 401, after checking a secret all the same`, async () => {
        const { service, secrets, only, issuer } = setup(clients);
        const error = await refusal(
          service.grantToken(
            credentials({ client_secret: secret, scope: 'orch:read', tenant: 't1' }),
            'corr-1',
          ),
        );
        expect(error.error).toBe('invalid_client');
        expect(error.status).toBe(401);
        expect(error.message).toBe('client authentication failed');
        expect(secrets.checks).toEqual([{ secret, hash: hashChecked }]);
        expect(issuer.issued).toEqual([]);
        const { tenantId, record } = only();
        expect(tenantId).toBe(AUTHORITY_TENANT);
        expect(record).toMatchObject({
          actor: { subject: 'console', clientId: 'console', scopes: ['orch:read'] },
          resourceId: 'console',
          action: 'token.refuse',
          after: {
            outcome: 'refused',
            error: 'invalid_client',
            clientAuthenticated: false,
            scopes: ['orch:read'],
            tenant: 't1',
          },
        });
      });
    }
  });

  it('refuses before authenticating what cannot be a client-credentials request', async () => {
    const inputs: [TokenRequestInput, OAuthErrorCode][] = [
      [
        { ...credentials(), malformed: { error: 'invalid_request', description: 'body is not a form' } },
        'invalid_request',
      ],
      [credentials({ grant_type: '' }), 'invalid_request'],
      [credentials({ grant_type: 'authorization_code' }), 'unsupported_grant_type'],
      [credentials({ client_secret: '' }), 'invalid_client'],
      [
        { form: { ...credentials().form }, basic: { clientId: 'console', clientSecret: SECRET } },
        'invalid_request',
      ],
    ];
    for (const [input, code] of inputs) {
      const { service, secrets, only } = setup();
      expect((await refusal(service.grantToken(input, 'corr-1'))).error).toBe(code);
      expect(secrets.checks).toEqual([]);
      const { tenantId, record } = only();
      expect(tenantId).toBe(AUTHORITY_TENANT);
      expect(record.actor).toEqual({ subject: 'console', clientId: 'console', scopes: [] });
      expect(record.after).toMatchObject({ outcome: 'refused', error: code, clientAuthenticated: false });
    }
  });

  it('records a claimed client id that is malformed, or none, as unknown-client', async () => {
    const inputs: TokenRequestInput[] = [
      credentials({}, 'bad client/id'),
      credentials({}, '-x'),
      { form: { grant_type: 'client_credentials', client_secret: SECRET } },
      {
        form: { grant_type: 'client_credentials' },
        basic: { clientId: 'x'.repeat(129), clientSecret: SECRET },
      },
    ];
    for (const input of inputs) {
      const { service, only } = setup();
      expect((await refusal(service.grantToken(input, 'corr-1'))).error).toBe('invalid_client');
      const { tenantId, record } = only();
      expect(tenantId).toBe(AUTHORITY_TENANT);
      expect(record.actor).toEqual({ subject: 'unknown-client', clientId: null, scopes: [] });
      expect(record.resourceId).toBe('unknown-client');
    }
  });

  it('records a refusal of a malformed tenant without the tenant', async () => {
    const { service, only } = setup([oauthClient({ allowedTenants: ['*'] })]);
    const error = await refusal(
      service.grantToken(credentials({ scope: 'orch:read', tenant: '../t1' }), 'corr-1'),
    );
    expect(error.error).toBe('invalid_request');
    const { tenantId, record } = only();
    expect(tenantId).toBe(AUTHORITY_TENANT);
    expect(record.after).not.toHaveProperty('tenant');
  });

  it('never records the secret', async () => {
    const secret = 'Sup3r-Secret-Value';
    const hashOf = `h:${secret}`;
    const inputs: TokenRequestInput[] = [
      credentials({ client_secret: secret, scope: 'orch:read', tenant: 't1' }, 'other'),
      credentials({ client_secret: secret, scope: 'orch:admin', tenant: 't1' }),
      credentials({ client_secret: secret, grant_type: 'password' }),
      credentials({ client_secret: secret, scope: 'orch:read' }, 'bad id'),
      {
        form: { grant_type: 'client_credentials', client_secret: secret, scope: 'orch:read' },
        basic: { clientId: 'console', clientSecret: secret },
      },
    ];
    for (const input of inputs) {
      const { service, audit } = setup([oauthClient({ secretHash: hashOf })]);
      await refusal(service.grantToken(input, 'corr-1'));
      const recorded = JSON.stringify([...audit.records]);
      expect(recorded).toContain('token.refuse');
      expect(recorded).not.toContain(secret);
    }
  });
});

describe('AuthorityService.grantToken: failures', () => {
  it('records nothing and fails with the issuer’s error when signing fails', async () => {
    const failure = new Error('signing key unavailable');
    const { service, audit } = setup([oauthClient()], failure);
    await expect(
      service.grantToken(credentials({ scope: 'orch:read', tenant: 't1' }), 'corr-1'),
    ).rejects.toBe(failure);
    expect(audit.records.size).toBe(0);
  });

  it('returns no token when the grant cannot be recorded', async () => {
    const { service, audit, issuer } = setup();
    const failure = new OrchestratorError('STORE_UNAVAILABLE', 'the ledger is down');
    audit.failWith = failure;
    await expect(
      service.grantToken(credentials({ scope: 'orch:read', tenant: 't1' }), 'corr-1'),
    ).rejects.toBe(failure);
    expect(issuer.issued).toHaveLength(1);
    expect(audit.records.size).toBe(0);
  });

  it('fails with the ledger’s error when a refusal cannot be recorded', async () => {
    const { service, audit } = setup();
    const failure = new OrchestratorError('STORE_UNAVAILABLE', 'the ledger is down');
    audit.failWith = failure;
    await expect(service.grantToken(credentials({ grant_type: 'password' }), 'corr-1')).rejects.toBe(failure);
  });
});

describe('AuthorityService.grantToken: pool tokens (tenant *)', () => {
  const poolClient = (allowedTenants: readonly string[] = ['*']) =>
    oauthClient({ allowedTenants, allowedScopes: ['orch:worker', 'orch:read'] });

  it('grants a client allowed * a worker-only token for *, recorded in the Authority’s chain', async () => {
    const { service, only, issuer } = setup([poolClient()]);
    const response = await service.grantToken(credentials({ scope: 'orch:worker', tenant: '*' }), 'c');
    expect(response).toMatchObject({ tenant: '*', scope: 'orch:worker' });
    expect(issuer.issued[0]).toMatchObject({ tenant: '*', scope: 'orch:worker' });
    expect(only()).toMatchObject({
      tenantId: AUTHORITY_TENANT,
      record: { action: 'token.grant', after: { outcome: 'granted', tenant: '*', scopes: ['orch:worker'] } },
    });
  });

  it('refuses any other scope with tenant * as invalid_scope, recorded in the Authority’s chain', async () => {
    for (const scope of ['orch:read', 'orch:worker orch:read']) {
      const { service, only, issuer } = setup([poolClient()]);
      const error = await refusal(service.grantToken(credentials({ scope, tenant: '*' }), 'c'));
      expect(error.error).toBe('invalid_scope');
      expect(error.message).toBe(
        'a pool token (tenant *) carries orch:worker only: ask for another scope with a tenant',
      );
      expect(issuer.issued).toEqual([]);
      expect(only()).toMatchObject({
        tenantId: AUTHORITY_TENANT,
        record: { action: 'token.refuse', after: { error: 'invalid_scope', tenant: '*' } },
      });
    }
  });

  it('refuses tenant * to a client not allowed every tenant with invalid_target', async () => {
    const { service, only } = setup([poolClient(['t1', 't2'])]);
    const error = await refusal(service.grantToken(credentials({ scope: 'orch:worker', tenant: '*' }), 'c'));
    expect(error.error).toBe('invalid_target');
    expect(error.message).toBe(
      'client console may not request pool tokens (tenant *): it is not allowed every tenant',
    );
    expect(only().tenantId).toBe(AUTHORITY_TENANT);
  });

  it('never picks * for a request that names no tenant', async () => {
    const { service } = setup([poolClient()], undefined, { ...OPTIONS, defaultTenant: 't1' });
    expect((await service.grantToken(credentials({ scope: 'orch:worker' }), 'c')).tenant).toBe('t1');
  });
});
