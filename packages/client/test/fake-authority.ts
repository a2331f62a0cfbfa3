// The orchestrator's Authority, faked on a FakeHttpServer: `POST /connect/token` (client credentials, RFC
// 6749 errors) and the bearer check of every `/api/v1/orchestrator/*` call (401 UNAUTHENTICATED, 403
// INSUFFICIENT_SCOPE and TENANT_MISMATCH), with the scope rules of the contract.
import { randomUUID } from 'node:crypto';
import { problem, type FakeHttpServer, type FakeReply, type RecordedRequest } from './fake-http-server.js';

/** A client the fake Authority knows. */
export interface FakeClient {
  readonly secret: string;
  readonly scopes: readonly string[];
  /** Tenants it may ask tokens for; `*` admits all. The first one is used when a request names none. */
  readonly tenants: readonly string[];
  readonly disabled?: boolean;
}

/** A token the fake issued. */
export interface FakeToken {
  readonly accessToken: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly tenant: string;
  /** The token request's form fields other than the secret. */
  readonly claims: Readonly<Record<string, string>>;
  expiresAt: number;
}

/** A client allowed everything in every tenant: the default of the fakes. */
export const FAKE_ADMIN_CLIENT = {
  clientId: 'ops-cli',
  clientSecret: 's3cret-ops-cli-do-not-print',
} as const;

/** A worker client of the fakes, allowed `orch:worker` in every tenant. */
export const FAKE_WORKER_CLIENT = {
  clientId: 'worker-1',
  clientSecret: 's3cret-worker-do-not-print',
} as const;

const ALL_SCOPES = [
  'orch:read',
  'orch:submit',
  'orch:worker',
  'orch:operate',
  'orch:quota',
  'orch:backfill',
  'orch:admin',
];

/** The fields a scope needs in the token request, as the contract's rules say. */
const SCOPE_REQUIRES: Readonly<Record<string, readonly string[]>> = {
  'orch:operate': ['operator_reason', 'operator_ticket'],
  'orch:admin': ['operator_reason', 'operator_ticket'],
  'orch:quota': ['quota_reason'],
  'orch:backfill': ['backfill_reason', 'backfill_ticket'],
};

const API = '/api/v1/orchestrator';

/** The scope an API call needs, after the contract. */
export function requiredScope(method: string, path: string): string {
  const rest = path.slice(API.length);
  if (rest.startsWith('/leases')) return 'orch:worker';
  if (rest.startsWith('/clients')) return 'orch:admin';
  if (method === 'POST' && rest === '/audit/checkpoints') return 'orch:admin';
  if (method === 'POST' && /^\/jobs\/[^/]+\/(cancel|retry|replay)$/.test(rest)) return 'orch:operate';
  if (method !== 'GET' && rest.startsWith('/slos')) return 'orch:operate';
  if (method !== 'GET' && rest.startsWith('/sources')) return 'orch:operate';
  if (method !== 'GET' && rest.startsWith('/backfills')) return 'orch:backfill';
  if (method !== 'GET' && rest.startsWith('/quotas')) return 'orch:quota';
  if (method !== 'GET' && rest.startsWith('/throttles')) return 'orch:operate';
  if (method !== 'GET' && rest.startsWith('/circuit-breakers')) return 'orch:operate';
  if (method === 'POST' && /^\/deadletter\/[^/]+\/(replay|resolve)$/.test(rest)) return 'orch:operate';
  if (method === 'POST' && rest === '/jobs/replay') return 'orch:operate';
  if (method === 'POST') return 'orch:submit';
  return 'orch:read';
}

/** The fake Authority. Install it on a server with {@link FakeAuthority.install}. */
export class FakeAuthority {
  /** Every token request's form fields, the secret removed. */
  readonly tokenRequests: Record<string, string>[] = [];
  readonly tokens: FakeToken[] = [];
  readonly clients = new Map<string, FakeClient>();
  /** The lifetime of the tokens it issues, in seconds (`expires_in`). */
  expiresInSeconds = 900;
  /** How long the token endpoint takes to answer. */
  tokenDelayMs = 0;
  /** Answers the next token requests get instead of the real thing, in order (scripted failures). */
  readonly scriptedTokenReplies: FakeReply[] = [];

  private constructor(clients: Readonly<Record<string, FakeClient>>) {
    for (const [id, client] of Object.entries(clients)) this.clients.set(id, client);
  }

  /**
   * Serves `POST /connect/token` on `server` and guards its API paths with bearer tokens. Without
   * `clients`, knows {@link FAKE_ADMIN_CLIENT} (every scope) and {@link FAKE_WORKER_CLIENT} (`orch:worker`).
   */
  static install(server: FakeHttpServer, clients?: Readonly<Record<string, FakeClient>>): FakeAuthority {
    const authority = new FakeAuthority(
      clients ?? {
        [FAKE_ADMIN_CLIENT.clientId]: {
          secret: FAKE_ADMIN_CLIENT.clientSecret,
          scopes: ALL_SCOPES,
          tenants: ['*'],
        },
        [FAKE_WORKER_CLIENT.clientId]: {
          secret: FAKE_WORKER_CLIENT.clientSecret,
          scopes: ['orch:worker'],
          tenants: ['*'],
        },
      },
    );
    server.route('POST', '/connect/token', (r) => authority.#token(r));
    server.guard((r) => authority.#check(r));
    return authority;
  }

  /** Makes every token issued so far expired: the API answers 401 to them. */
  expireTokens(): void {
    for (const token of this.tokens) token.expiresAt = 0;
  }

  /** The issued token with this value. */
  token(accessToken: string): FakeToken | undefined {
    return this.tokens.find((t) => t.accessToken === accessToken);
  }

  async #token(request: RecordedRequest): Promise<FakeReply> {
    const form = { ...(request.body as Record<string, string> | undefined) };
    const basic = basicCredentials(request.headers.authorization);
    if (basic !== undefined) {
      form['client_id'] ??= basic.clientId;
      form['client_secret'] ??= basic.clientSecret;
    }
    const { client_secret: secret, ...recorded } = form;
    this.tokenRequests.push(recorded);
    if (this.tokenDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.tokenDelayMs));
    const scripted = this.scriptedTokenReplies.shift();
    if (scripted !== undefined) return scripted;
    if (form['grant_type'] !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'only client_credentials is supported');
    }
    const clientId = form['client_id'] ?? '';
    const client = this.clients.get(clientId);
    if (client === undefined || client.secret !== secret || client.disabled === true) {
      return oauthError(401, 'invalid_client', 'client authentication failed');
    }
    const scopes = (form['scope'] ?? '').split(' ').filter((s) => s !== '');
    if (scopes.length === 0) return oauthError(400, 'invalid_scope', 'ask for at least one scope');
    for (const scope of scopes) {
      if (!client.scopes.includes(scope)) {
        return oauthError(400, 'invalid_scope', `client ${clientId} may not request ${scope}`);
      }
      for (const field of SCOPE_REQUIRES[scope] ?? []) {
        if (form[field] === undefined || form[field] === '') {
          return oauthError(400, 'invalid_request', `${scope} requires ${field}`);
        }
      }
    }
    const tenant = form['tenant'] ?? client.tenants.find((t) => t !== '*') ?? 'default';
    if (!client.tenants.includes('*') && !client.tenants.includes(tenant)) {
      return oauthError(400, 'invalid_request', `client ${clientId} may not act in tenant ${tenant}`);
    }
    // A pool worker's token (tenant *) carries orch:worker alone.
    if (tenant === '*' && (scopes.length !== 1 || scopes[0] !== 'orch:worker')) {
      return oauthError(400, 'invalid_scope', 'a pool token (tenant *) carries orch:worker only');
    }
    const token: FakeToken = {
      accessToken: `tok-${randomUUID()}`,
      clientId,
      scopes,
      tenant,
      claims: recorded,
      expiresAt: Date.now() + this.expiresInSeconds * 1000,
    };
    this.tokens.push(token);
    return {
      body: {
        access_token: token.accessToken,
        token_type: 'Bearer',
        expires_in: this.expiresInSeconds,
        scope: scopes.join(' '),
        tenant,
      },
      headers: { 'cache-control': 'no-store' },
    };
  }

  #check(request: RecordedRequest): FakeReply | undefined {
    if (!request.path.startsWith(`${API}/`)) return undefined;
    const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
    const token = match === null ? undefined : this.token(match[1]!);
    if (token === undefined || token.expiresAt <= Date.now()) {
      const reply = problem(401, 'UNAUTHENTICATED', match === null ? 'no bearer token' : 'invalid token');
      return { ...reply, headers: { ...reply.headers, 'www-authenticate': 'Bearer realm="stella-orch"' } };
    }
    const tenantHeader = request.headers['x-stella-tenant'];
    if (token.tenant === '*') {
      const refusal = poolRefusal(request, tenantHeader);
      if (refusal !== undefined) return refusal;
    } else if (typeof tenantHeader === 'string' && tenantHeader !== token.tenant) {
      return problem(403, 'TENANT_MISMATCH', `the token is for tenant ${token.tenant}`);
    }
    const scope = requiredScope(request.method, request.path);
    if (!token.scopes.includes(scope)) {
      return problem(403, 'INSUFFICIENT_SCOPE', `this call needs ${scope}`, {
        details: { requiredScope: scope },
      });
    }
    return undefined;
  }
}

/**
 * The contract's rule for a pool worker's token (tenant `*`): `POST /leases` for the pool (the tenant
 * header, if any, `*`), the calls on a lease as the tenant the header names (required), nothing else.
 */
function poolRefusal(
  request: RecordedRequest,
  tenantHeader: string | string[] | undefined,
): FakeReply | undefined {
  const rest = request.path.slice(API.length);
  if (request.method === 'POST' && rest === '/leases') {
    return tenantHeader === undefined || tenantHeader === '*'
      ? undefined
      : problem(403, 'TENANT_MISMATCH', 'a pool token leases for every tenant');
  }
  if (request.method === 'POST' && rest.startsWith('/leases/')) {
    return typeof tenantHeader === 'string' && tenantHeader !== '*'
      ? undefined
      : problem(400, 'VALIDATION_FAILED', 'header.x-stella-tenant: name the job’s tenant');
  }
  return problem(403, 'FORBIDDEN', 'a pool token may only lease jobs and act on leases');
}

/** An RFC 6749 §5.2 error answer. */
export function oauthError(status: number, error: string, description: string): FakeReply {
  return {
    status,
    body: { error, error_description: description },
    headers: { 'cache-control': 'no-store' },
  };
}

function basicCredentials(
  header: string | undefined,
): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic (.+)$/.exec(header ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return {
    clientId: decodeURIComponent(decoded.slice(0, colon)),
    clientSecret: decodeURIComponent(decoded.slice(colon + 1)),
  };
}
