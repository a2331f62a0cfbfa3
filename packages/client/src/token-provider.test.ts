import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_ADMIN_CLIENT, FakeAuthority } from '../test/fake-authority.js';
import { FakeHttpServer, problem } from '../test/fake-http-server.js';
import { ClientCredentialsTokenProvider } from './token-provider.js';

let server: FakeHttpServer;
let authority: FakeAuthority;
let clock: number;

beforeEach(async () => {
  server = await FakeHttpServer.start();
  authority = FakeAuthority.install(server);
  clock = 1_000_000;
});

afterEach(async () => {
  await server.close();
});

function provider(): ClientCredentialsTokenProvider {
  return new ClientCredentialsTokenProvider({
    credentials: { ...FAKE_ADMIN_CLIENT, scopes: ['orch:read'] },
    tokenUrl: `${server.url}/connect/token`,
    fetch: globalThis.fetch,
    retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 10 },
    timeoutMs: 5_000,
    now: () => clock,
  });
}

describe('ClientCredentialsTokenProvider', () => {
  it.each([
    [900, 840_000],
    [60, 48_000],
  ])(
    'refreshes a %i s token %i ms after asking for it (a minute, or a fifth of it, early)',
    async (lifetime, at) => {
      authority.expiresInSeconds = lifetime;
      const tokens = provider();
      const first = await tokens.getIssuedToken();
      expect(first).toMatchObject({
        refreshAt: clock + at,
        expiresAt: clock + lifetime * 1000,
        tenant: 'default',
      });

      clock += at - 1;
      expect(await tokens.getToken()).toBe(first.accessToken);
      clock += 1;
      expect(await tokens.getToken()).not.toBe(first.accessToken);
      expect(authority.tokenRequests).toHaveLength(2);
    },
  );

  it('keeps using a still-valid token when its refresh cannot reach the Authority', async () => {
    const tokens = provider();
    const first = await tokens.getToken();
    clock += 850_000;
    authority.scriptedTokenReplies.push(problem(503, 'X', 'down'), problem(503, 'X', 'down'));
    expect(await tokens.getToken()).toBe(first);

    clock += 60_000;
    authority.scriptedTokenReplies.push(problem(503, 'X', 'down'), problem(503, 'X', 'down'));
    await expect(tokens.getToken()).rejects.toMatchObject({ status: 503 });
  });

  it('forgets only the token that was refused', async () => {
    const tokens = provider();
    const first = await tokens.getToken();
    tokens.invalidate('some-older-token');
    expect(await tokens.getToken()).toBe(first);
    tokens.invalidate(first);
    expect(await tokens.getToken()).not.toBe(first);
  });
});
