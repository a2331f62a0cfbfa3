import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_ADMIN_CLIENT, oauthError } from '../../client/test/fake-authority.js';
import { problem } from '../../client/test/fake-http-server.js';
import { makeJob } from '../../client/test/fake-orchestrator.js';
import { OPERATOR_ENV, startCliHarness, type CliHarness } from '../test/cli-harness.js';

const BASE = '/api/v1/orchestrator';
const SUMMARY = { total: 0, byStatus: {}, byJobType: [] };
const NO_CREDENTIALS = { STELLA_ORCH_CLIENT_ID: '', STELLA_ORCH_CLIENT_SECRET: '' };

let harness: CliHarness;
beforeEach(async () => {
  harness = await startCliHarness();
  harness.server.route('GET', `${BASE}/jobs/summary`, () => ({ body: SUMMARY }));
});
afterEach(async () => {
  await harness.close();
});

const OPERATOR_COMMANDS: readonly (readonly [string[], string, string])[] = [
  [['jobs', 'cancel', 'j1'], 'jobs cancel', 'an operator action'],
  [['jobs', 'retry', 'j1'], 'jobs retry', 'an operator action'],
  [['jobs', 'replay', 'j1'], 'jobs replay', 'an operator action'],
  [
    ['clients', 'add', 'c1', '--scopes', 'orch:read', '--tenants', 't1'],
    'clients add',
    'an administrative action',
  ],
  [['clients', 'list'], 'clients list', 'an administrative action'],
  [['clients', 'rotate-secret', 'c1'], 'clients rotate-secret', 'an administrative action'],
  [['clients', 'disable', 'c1'], 'clients disable', 'an administrative action'],
  [['clients', 'enable', 'c1'], 'clients enable', 'an administrative action'],
  [['audit', 'checkpoint'], 'audit checkpoint', 'an administrative action'],
];

describe('usage errors before any call', () => {
  it('names --client-id and STELLA_ORCH_CLIENT_ID when there are no credentials', async () => {
    const result = await harness.run(['jobs', 'summary'], NO_CREDENTIALS);
    expect(result.code).toBe(2);
    expect(result.err).toBe(
      'error: jobs summary needs client credentials: give --client-id (or STELLA_ORCH_CLIENT_ID) and the ' +
        'secret in STELLA_ORCH_CLIENT_SECRET (or --client-secret)\n',
    );
    expect(harness.server.requests).toHaveLength(0);
  });

  it('names STELLA_ORCH_CLIENT_SECRET when only the secret is missing', async () => {
    const result = await harness.run(['--client-id', 'ops-cli', 'jobs', 'list'], NO_CREDENTIALS);
    expect(result.code).toBe(2);
    expect(result.err).toContain(
      'jobs list needs the secret of client ops-cli: set STELLA_ORCH_CLIENT_SECRET (or give --client-secret)',
    );
    expect(harness.server.requests).toHaveLength(0);
  });

  it.each(OPERATOR_COMMANDS)(
    '%j without reason and ticket says what is missing',
    async (argv, action, kind) => {
      const result = await harness.run(argv);
      expect(result.code).toBe(2);
      expect(result.err).toBe(
        `error: ${action} is ${kind}: give --reason and --ticket ` +
          '(or STELLA_ORCH_OPERATOR_REASON / STELLA_ORCH_OPERATOR_TICKET)\n',
      );
      expect(result.out).toBe('');
      expect(harness.server.requests).toHaveLength(0);
    },
  );

  it('names only what is missing', async () => {
    const noTicket = await harness.run(['jobs', 'cancel', 'j1', '--reason', 'stuck']);
    expect(noTicket.err).toContain(
      'jobs cancel is an operator action: give --ticket (or STELLA_ORCH_OPERATOR_TICKET)',
    );
    const noReason = await harness.run(['jobs', 'cancel', 'j1'], { STELLA_ORCH_OPERATOR_TICKET: 'OPS-1' });
    expect(noReason.err).toContain(
      'jobs cancel is an operator action: give --reason (or STELLA_ORCH_OPERATOR_REASON)',
    );
    expect(harness.server.requests).toHaveLength(0);
  });

  it.each([
    [['--reason', 'x'.repeat(257)], '--reason: at most 256 characters (got 257)'],
    [['--ticket', 'T'.repeat(129)], '--ticket: at most 128 characters (got 129)'],
    [['--reason', 'line one\nline two'], '--reason: no control characters'],
    [['--ticket', 'OPS\t1'], '--ticket: no control characters'],
  ])('refuses a reason or ticket outside the policy: %j', async (flags, message) => {
    const result = await harness.run(['jobs', 'cancel', 'j1', ...flags], OPERATOR_ENV);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(harness.server.requests).toHaveLength(0);
  });
});

describe('tokens', () => {
  it.each([
    [['jobs', 'list'], 'orch:read'],
    [['jobs', 'get', 'j1'], 'orch:read'],
    [['jobs', 'summary'], 'orch:read'],
    [['jobs', 'submit', 'scan'], 'orch:submit'],
    [['jobs', 'cancel', 'j1'], 'orch:operate'],
    [['jobs', 'retry', 'j1'], 'orch:operate'],
    [['jobs', 'replay', 'j1'], 'orch:operate'],
    [['clients', 'list'], 'orch:admin'],
    [['clients', 'enable', 'c1'], 'orch:admin'],
    [['audit', 'list'], 'orch:read'],
    [['audit', 'show', 'a1'], 'orch:read'],
    [['audit', 'verify'], 'orch:read'],
    [['audit', 'checkpoint'], 'orch:admin'],
    [['audit', 'export', '--out', 'x'], 'orch:read'],
  ])(
    '%j asks for exactly %s, with the operator fields only when the scope needs them',
    async (argv, scope) => {
      await harness.run(argv, OPERATOR_ENV);
      const [request] = harness.authority.tokenRequests;
      expect(request).toMatchObject({ grant_type: 'client_credentials', client_id: 'ops-cli', scope });
      const operator = scope === 'orch:operate' || scope === 'orch:admin';
      expect(request!['operator_reason']).toBe(operator ? 'incident 42' : undefined);
      expect(request!['operator_ticket']).toBe(operator ? 'OPS-42' : undefined);
    },
  );

  it('takes flags over the environment, asks for the --tenant and sends it, and sends no actor', async () => {
    harness.server.route('POST', /\/cancel$/, () => ({ body: makeJob({ status: 'canceled' }) }));
    const result = await harness.run(
      [
        '--client-id',
        FAKE_ADMIN_CLIENT.clientId,
        '--client-secret',
        FAKE_ADMIN_CLIENT.clientSecret,
        '--tenant',
        'acme',
        'jobs',
        'cancel',
        'j1',
        '--reason',
        'duplicate',
        '--ticket',
        'OPS-7',
      ],
      { STELLA_ORCH_CLIENT_ID: 'someone-else', STELLA_ORCH_ACTOR: 'alice', ...OPERATOR_ENV },
    );
    expect(result.code).toBe(0);
    expect(harness.authority.tokenRequests[0]).toMatchObject({
      client_id: FAKE_ADMIN_CLIENT.clientId,
      tenant: 'acme',
      operator_reason: 'duplicate',
      operator_ticket: 'OPS-7',
    });
    const [cancel] = harness.apiRequests();
    expect(cancel!.headers['x-stella-tenant']).toBe('acme');
    expect(cancel!.headers['x-stella-actor']).toBeUndefined();
    expect(cancel!.headers.authorization).toMatch(/^Bearer tok-/);
    expect(cancel!.body).toEqual({ reason: 'duplicate' });
  });

  it('prints a token refusal with its RFC 6749 error and description, exit 6, and never the secret', async () => {
    const result = await harness.run(['jobs', 'summary'], { STELLA_ORCH_CLIENT_SECRET: 'wrong-secret' });
    expect(result.code).toBe(6);
    expect(result.err).toBe(
      'error: the token request was refused: invalid_client: client authentication failed\n' +
        '  check --client-id (or STELLA_ORCH_CLIENT_ID) and the secret in STELLA_ORCH_CLIENT_SECRET, and ' +
        'that the client is enabled\n',
    );
    expect(harness.apiRequests()).toHaveLength(0);
    expect(harness.server.requestsTo('POST', '/connect/token')).toHaveLength(1);
    expect(result.out + result.err).not.toContain('wrong-secret');
  });

  it('prints the refusal as JSON under --json', async () => {
    harness.authority.scriptedTokenReplies.push(
      oauthError(
        400,
        'invalid_scope',
        `client ops-cli may not request orch:read (secret ${FAKE_ADMIN_CLIENT.clientSecret})`,
      ),
    );
    const result = await harness.run(['--json', 'jobs', 'summary']);
    expect(result.code).toBe(6);
    expect(JSON.parse(result.err)).toEqual({
      error: {
        code: 'TOKEN_REQUEST_REFUSED',
        status: 400,
        detail:
          'token request refused: invalid_scope: client ops-cli may not request orch:read (secret [redacted])',
        error: 'invalid_scope',
        error_description: 'client ops-cli may not request orch:read (secret [redacted])',
      },
    });
    expect(result.err).not.toContain(FAKE_ADMIN_CLIENT.clientSecret);
  });

  it('exits 6 on 403 INSUFFICIENT_SCOPE and names the scope the call needs', async () => {
    harness.server.route('GET', `${BASE}/jobs/summary`, () =>
      problem(403, 'INSUFFICIENT_SCOPE', 'the token lacks orch:read', {
        details: { requiredScope: 'orch:read' },
      }),
    );
    const result = await harness.run(['jobs', 'summary']);
    expect(result.code).toBe(6);
    expect(result.err).toBe(
      'error: INSUFFICIENT_SCOPE: the token lacks orch:read\n  the call needs scope orch:read\n',
    );
  });

  it('exits 6 on TENANT_MISMATCH', async () => {
    harness.server.route('GET', `${BASE}/jobs/summary`, () =>
      problem(403, 'TENANT_MISMATCH', 'token is for t1'),
    );
    expect((await harness.run(['jobs', 'summary'])).code).toBe(6);
  });

  it('gets a new token and repeats the call once when the API answers 401', async () => {
    let calls = 0;
    harness.server.route('GET', `${BASE}/jobs/summary`, () =>
      ++calls === 1 ? problem(401, 'UNAUTHENTICATED', 'token expired') : { body: SUMMARY },
    );
    const result = await harness.run(['jobs', 'summary']);
    expect(result.code).toBe(0);
    expect(harness.server.requestsTo('POST', '/connect/token')).toHaveLength(2);
  });
});

describe('help', () => {
  it.each([
    [['jobs', 'list', '--help'], 'Scope: orch:read.'],
    [['jobs', 'submit', '--help'], 'Scope: orch:submit.'],
    [
      ['jobs', 'cancel', '--help'],
      'Scope: orch:operate. Needs --reason and --ticket, recorded in the audit trail.',
    ],
    [['clients', 'add', '--help'], 'Scope: orch:admin. Needs --reason and --ticket'],
    [['audit', 'checkpoint', '--help'], 'Scope: orch:admin. Needs --reason and --ticket'],
    [['audit', 'verify', '--help'], 'Scope: orch:read.'],
  ])('%j names the scope', async (argv, text) => {
    const result = await harness.run(argv);
    expect(result.code).toBe(0);
    expect(result.out).toContain(text);
    expect(result.out).toContain('6  credentials refused');
  });
});
