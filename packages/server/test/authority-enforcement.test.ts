import { SCOPES } from '@stella-orch/core';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROUTE_SCOPES } from '../src/scope-map.js';
import { ledgerEngines, startHarness, startHarnessOn, type Harness } from './harness.js';

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function base64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** The claims of a well-formed token for `tenant`, `iat` now. */
function claimsFor(tenant: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'stella-orch',
    aud: 'stella-orch-api',
    sub: 'mallory',
    client_id: 'mallory',
    scope: SCOPES.join(' '),
    tenant,
    jti: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + 600,
    ...overrides,
  };
}

const ENGINES = await ledgerEngines('Authority enforcement suite');

describe.each(ENGINES)('every API route requires a valid token with its scope on %s', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarnessOn(engine);
  });
  beforeEach(() => {
    h.newTenant();
  });
  afterAll(async () => {
    await h.close();
  });

  const routes = Object.entries(ROUTE_SCOPES).map(([key, scope]) => {
    const [method, path] = key.split(' ') as [string, string];
    return { method, path, scope, url: path.replace(/:[A-Za-z]+/g, randomUUID()) };
  });

  it.each(routes)('$method $path answers 401 with a challenge and no token', async ({ method, url }) => {
    const res = await h.call(method as 'GET', url, method === 'GET' ? undefined : {}, { authorization: '' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="stella-orch"');
  });

  it.each(routes)('$method $path answers 403 to a token without $scope', async ({ method, url, scope }) => {
    const others = SCOPES.filter((s) => s !== scope);
    const token = await h.tokenFor({ scopes: others });
    const res = await h.call(method as 'GET', url, method === 'GET' ? undefined : {}, bearer(token));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'INSUFFICIENT_SCOPE', details: { requiredScope: scope } });
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="stella-orch", error="insufficient_scope", scope="${scope}"`,
    );
  });

  it('leaves the health probes, the OpenAPI document and the discovery documents open', async () => {
    for (const url of ['/healthz', '/readyz', '/.well-known/openapi', '/.well-known/jwks.json']) {
      expect((await h.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/orchestrator/openapi.json' })).statusCode).toBe(
      200,
    );
  });

  it('answers an unknown API path 404 with a token or without (a path is not a secret)', async () => {
    expect((await h.call('GET', '/nothing-here', undefined, { authorization: '' })).statusCode).toBe(404);
    expect((await h.call('GET', '/nothing-here')).json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });

  it('refuses a tenant header that differs from the token, and accepts one that repeats it', async () => {
    const mismatch = await h.call('GET', '/jobs', undefined, { 'x-stella-tenant': 'victim' });
    expect(mismatch.statusCode).toBe(403);
    expect(mismatch.json()).toMatchObject({ code: 'TENANT_MISMATCH' });
    const same = await h.call('GET', '/jobs', undefined, { 'x-stella-tenant': h.tenant });
    expect(same.statusCode).toBe(200);
  });

  it("answers 404 for another tenant's job, with its token and a forged tenant header alike", async () => {
    const jobId = (await h.call('POST', '/jobs', { jobType: 'scan' })).json().jobId as string;
    const other = await h.tokenFor({ tenant: `other-${h.tenant}` });
    const res = await h.call('GET', `/jobs/${jobId}`, undefined, bearer(other));
    expect(res.statusCode).toBe(404);
    const forged = await h.call('GET', `/jobs/${jobId}`, undefined, {
      ...bearer(other),
      'x-stella-tenant': h.tenant,
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.json()).toMatchObject({ code: 'TENANT_MISMATCH' });
  });

  describe('token attacks', () => {
    async function refused(token: string, message: RegExp): Promise<void> {
      const res = await h.call('GET', '/jobs', undefined, bearer(token));
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(res.json().detail).toMatch(message);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="stella-orch", error="invalid_token"/);
    }

    async function ownKid(): Promise<string> {
      return decodeProtectedHeader(await h.tokenFor()).kid!;
    }

    it('accepts the genuine token these attacks start from', async () => {
      expect((await h.call('GET', '/jobs', undefined, bearer(await h.tokenFor()))).statusCode).toBe(200);
    });

    it('refuses alg none', async () => {
      const token = `${base64url({ alg: 'none', typ: 'at+jwt' })}.${base64url(claimsFor(h.tenant))}.`;
      await refused(token, /malformed|algorithm/);
    });

    it('refuses HS256 signed with the public key as the secret', async () => {
      const jwks = (await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
      const publicKey = JSON.stringify(jwks.keys[0]);
      const head = base64url({ alg: 'HS256', typ: 'at+jwt', kid: jwks.keys[0].kid });
      const body = base64url(claimsFor(h.tenant));
      const signature = createHmac('sha256', publicKey).update(`${head}.${body}`).digest('base64url');
      await refused(`${head}.${body}.${signature}`, /algorithm/);
    });

    it('refuses a wrong audience, a wrong issuer and a wrong type', async () => {
      await refused(await forge({ aud: 'another-api' }), /aud/);
      await refused(await forge({ iss: 'https://evil.example' }), /iss/);
      await refused(await forge({}, { typ: 'JWT' }), /typ/);
    });

    it('refuses an expired token, and one not valid yet, beyond 60 s of skew', async () => {
      const now = Math.floor(Date.now() / 1000);
      await refused(await h.tokenFor({ expiresIn: -61 }), /expired/);
      await refused(await forge({ nbf: now + 120, iat: now }), /not valid yet/);
      await refused(await forge({ iat: now + 300, nbf: now }), /future|iat/);
      // Within the skew, both pass.
      expect(
        (await h.call('GET', '/jobs', undefined, bearer(await h.tokenFor({ expiresIn: -30 })))).statusCode,
      ).toBe(200);
      expect(
        (await h.call('GET', '/jobs', undefined, bearer(await forge({ nbf: now + 30 })))).statusCode,
      ).toBe(200);
    });

    it('refuses a tampered payload', async () => {
      const [head, , signature] = (await h.tokenFor()).split('.');
      const tampered = base64url(
        claimsFor('victim-tenant', { sub: 'harness-admin', client_id: 'harness-admin' }),
      );
      await refused(`${head}.${tampered}.${signature}`, /signature/);
    });

    it('refuses a token signed by a key the server does not publish', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const token = await new SignJWT(claimsFor(h.tenant))
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'attacker-key' })
        .sign(privateKey);
      await refused(token, /unknown key/);
      const sameKid = await new SignJWT(claimsFor(h.tenant))
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: await ownKid() })
        .sign(privateKey);
      await refused(sameKid, /signature/);
    });

    it('refuses malformed Authorization headers', async () => {
      for (const authorization of [
        'Basic aGk6dGhlcmU=',
        'Bearer',
        'Bearer a b',
        'Bearer a.b.c',
        `Bearer ${'x'.repeat(20_000)}`,
      ]) {
        const res = await h.call('GET', '/jobs', undefined, { authorization });
        expect(res.statusCode, authorization.slice(0, 20)).toBe(401);
        expect(res.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
      }
    });

    /** A token signed with the server's own key but with chosen claims or header fields. */
    async function forge(
      claims: Record<string, unknown>,
      header: Record<string, unknown> = {},
    ): Promise<string> {
      const genuine = await h.tokenFor();
      const kid = decodeProtectedHeader(genuine).kid!;
      const key = await h.authority.keys.listPublishedKeys('token');
      const own = key.find((k) => k.keyId === kid)!;
      const { importJWK } = await import('jose');
      const privateKey = await importJWK(own.privateJwk as JWK, 'ES256');
      return new SignJWT(claimsFor(h.tenant, claims))
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid, ...header })
        .sign(privateKey);
    }
  });

  it('rotates the signing key: the previous key still verifies, the one before it no longer does', async () => {
    const admin = bearer(
      await h.tokenFor({ metadata: { operator_reason: 'key rotation drill', operator_ticket: 'SEC-1' } }),
    );
    const first = await h.tokenFor();
    const rotated = await h.call('POST', '/signing-keys/rotate', { purpose: 'token' }, admin);
    expect(rotated.statusCode).toBe(200);
    const second = await h.tokenFor();
    expect(decodeProtectedHeader(second).kid).not.toBe(decodeProtectedHeader(first).kid);
    const jwks = (await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid).sort()).toEqual(
      [decodeProtectedHeader(first).kid, decodeProtectedHeader(second).kid].sort(),
    );
    expect((await h.call('GET', '/jobs', undefined, bearer(first))).statusCode).toBe(200);
    await h.call('POST', '/signing-keys/rotate', { purpose: 'token' }, admin);
    // Verifiers reload keys at most every 5 s when they meet an unknown kid; a retired kid is unknown.
    const res = await h.call('GET', '/jobs', undefined, bearer(first));
    expect(res.statusCode).toBe(401);
    expect((await h.call('GET', '/jobs', undefined, bearer(second))).statusCode).toBe(200);
  });
});

describe('the per-client API rate limit', () => {
  it('answers 429 with Retry-After and RateLimit headers once a client is over its rate', async () => {
    const h = await startHarness({
      config: { authority: { rateLimit: { requestsPerSecond: 0.5, burst: 2 } } },
    });
    try {
      const first = await h.call('GET', '/jobs');
      expect(first.statusCode).toBe(200);
      expect(first.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '1' });
      expect((await h.call('GET', '/jobs')).statusCode).toBe(200);
      const limited = await h.call('GET', '/jobs');
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Another client has its own bucket.
      const other = await h.tokenFor({ clientId: 'someone-else' });
      expect((await h.call('GET', '/jobs', undefined, bearer(other))).statusCode).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe('an external issuer', () => {
  let jwksServer: Server;
  let jwksUrl: string;
  let sign: (claims: Record<string, unknown>) => Promise<string>;
  let h: Harness;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' };
    jwksServer = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const address = jwksServer.address() as { port: number };
    jwksUrl = `http://127.0.0.1:${address.port}/jwks`;
    sign = (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'idp-key-1' })
        .sign(privateKey);
    h = await startHarness({
      config: {
        authority: {
          external: {
            issuer: 'https://idp.example',
            audience: 'orchestrator',
            jwksUrl,
            algorithms: ['RS256'],
          },
        },
      },
    });
  });
  afterAll(async () => {
    await h.close();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  function external(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return claimsFor('tenant-ext', { iss: 'https://idp.example', aud: 'orchestrator', ...overrides });
  }

  it("trusts the issuer's tokens, with their tenant and scopes", async () => {
    const token = await sign(external({ scope: 'orch:read', jti: undefined }));
    const res = await h.call('GET', '/jobs', undefined, bearer(token));
    expect(res.statusCode).toBe(200);
    const submit = await h.call('POST', '/jobs', { jobType: 'scan' }, bearer(token));
    expect(submit.json()).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
  });

  it('refuses its tokens for another audience or issuer, and tokens of other keys', async () => {
    for (const token of [
      await sign(external({ aud: 'stella-orch-api' })),
      await sign(external({ iss: 'stella-orch' })),
    ]) {
      expect((await h.call('GET', '/jobs', undefined, bearer(token))).statusCode).toBe(401);
    }
    const { privateKey } = await generateKeyPair('RS256');
    const foreign = await new SignJWT(external())
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'idp-key-1' })
      .sign(privateKey);
    expect((await h.call('GET', '/jobs', undefined, bearer(foreign))).statusCode).toBe(401);
  });

  it('serves no token endpoint of its own', async () => {
    const res = await h.requestToken({ grant_type: 'client_credentials' });
    expect(res.statusCode).toBe(404);
  });
});
