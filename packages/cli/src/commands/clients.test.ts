import { ScryptSecretHasher } from '@stella-orch/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRegisteredClient } from '../../../client/test/admin-fixtures.js';
import { problem } from '../../../client/test/fake-http-server.js';
import { OPERATOR_ENV, startCliHarness, type CliHarness } from '../../test/cli-harness.js';
import { recordingIo } from '../../test/test-io.js';
import { runCli } from '../run-cli.js';

const BASE = '/api/v1/orchestrator';
const SECRET = 'generated-Zq9-secret';

let harness: CliHarness;
beforeEach(async () => {
  harness = await startCliHarness();
});
afterEach(async () => {
  await harness.close();
});

const run = (argv: string[]) => harness.run(argv, OPERATOR_ENV);

describe('clients add', () => {
  it('registers the client, prints its secret once and warns on stderr that it cannot be shown again', async () => {
    harness.server.route('POST', `${BASE}/clients`, () => ({
      status: 201,
      body: {
        client: makeRegisteredClient({ scopes: ['orch:submit', 'orch:read'], tenants: ['t1', 't2'] }),
        clientSecret: SECRET,
      },
    }));

    const result = await run([
      'clients',
      'add',
      'ingest-svc',
      '--scopes',
      'orch:submit, orch:read',
      '--tenants',
      't1,t2',
      '--display-name',
      'Ingest service',
    ]);

    expect(result.code).toBe(0);
    expect(harness.apiRequests()[0]!.body).toEqual({
      clientId: 'ingest-svc',
      scopes: ['orch:submit', 'orch:read'],
      tenants: ['t1', 't2'],
      displayName: 'Ingest service',
    });
    expect(result.out.split(SECRET)).toHaveLength(2);
    expect(result.out).toContain(`Client secret: ${SECRET}`);
    expect(result.out).toMatch(/Scopes\s*│\s*orch:submit orch:read/);
    expect(result.err).toContain('shown only once and cannot be shown again');
    expect(result.err).not.toContain(SECRET);
  });

  it('prints { client, clientSecret } under --json, the warning still on stderr', async () => {
    const answer = { client: makeRegisteredClient(), clientSecret: SECRET };
    harness.server.route('POST', `${BASE}/clients`, () => ({ status: 201, body: answer }));
    const result = await run([
      '--json',
      'clients',
      'add',
      'ingest-svc',
      '--scopes',
      'orch:submit',
      '--tenants',
      't1',
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual(answer);
    expect(result.err).toContain('cannot be shown again');
  });

  it.each([
    [['--scopes', 'orch:read,orch:everything', '--tenants', 't1'], 'Unknown scope "orch:everything"'],
    [['--tenants', 't1'], "required option '--scopes <scopes>' not specified"],
    [['--scopes', 'orch:read'], "required option '--tenants <tenants>' not specified"],
    [['--scopes', ' , ', '--tenants', 't1'], 'List at least one scope'],
  ])('exits 2 on bad flags: %j', async (flags, message) => {
    const result = await run(['clients', 'add', 'x', ...flags]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(harness.server.requests).toHaveLength(0);
  });

  it('exits 4 when the client exists', async () => {
    harness.server.route('POST', `${BASE}/clients`, () => problem(409, 'CLIENT_EXISTS', 'ingest-svc exists'));
    const result = await run(['clients', 'add', 'ingest-svc', '--scopes', 'orch:read', '--tenants', '*']);
    expect(result.code).toBe(4);
    expect(result.err).toBe('error: CLIENT_EXISTS: ingest-svc exists\n');
  });
});

describe('clients list, rotate-secret, disable, enable', () => {
  it('lists the clients as a table, and as { items } with --json', async () => {
    const clients = [
      makeRegisteredClient(),
      makeRegisteredClient({ clientId: 'ops', source: 'config', disabled: true, createdAt: null }),
    ];
    harness.server.route('GET', `${BASE}/clients`, () => ({ body: { items: clients } }));

    const table = await run(['clients', 'list']);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/CLIENT ID.*NAME.*SCOPES.*TENANTS.*STATE.*SOURCE/);
    expect(table.out).toMatch(/ops\s*│.*│\s*disabled\s*│\s*config\s*│\s*-\s*│/);
    expect(table.out).toMatch(/ingest-svc\s*│.*│\s*enabled\s*│\s*registry/);

    const json = await run(['--json', 'clients', 'list']);
    expect(JSON.parse(json.out)).toEqual({ items: clients });
  });

  it('rotates a secret, printing the new one once with the warning', async () => {
    harness.server.route('POST', `${BASE}/clients/ingest-svc/rotate-secret`, () => ({
      body: {
        client: makeRegisteredClient({ secretRotatedAt: '2030-02-01T00:00:00.000Z' }),
        clientSecret: SECRET,
      },
    }));
    const result = await run(['clients', 'rotate-secret', 'ingest-svc']);
    expect(result.code).toBe(0);
    expect(result.out).toContain(`Client secret: ${SECRET}`);
    expect(result.out).toContain('2030-02-01 00:00:00Z');
    expect(result.err).toContain('cannot be shown again');
  });

  it('disables and enables a client, printing it', async () => {
    harness.server.route('POST', /\/clients\/[^/]+\/(disable|enable)$/, (r) => ({
      body: { client: makeRegisteredClient({ disabled: r.path.endsWith('/disable') }) },
    }));
    const disabled = await run(['clients', 'disable', 'ingest-svc']);
    expect(disabled.code).toBe(0);
    expect(disabled.out).toMatch(/State\s*│\s*disabled/);
    const enabled = await run(['clients', 'enable', 'ingest-svc']);
    expect(enabled.out).toMatch(/State\s*│\s*enabled/);
    expect(harness.apiRequests().map((r) => r.path)).toEqual([
      `${BASE}/clients/ingest-svc/disable`,
      `${BASE}/clients/ingest-svc/enable`,
    ]);
  });

  it('exits 3 for an unknown client and 4 for one declared in the configuration', async () => {
    harness.server.route('POST', `${BASE}/clients/nope/disable`, () =>
      problem(404, 'CLIENT_NOT_FOUND', 'no client nope'),
    );
    harness.server.route('POST', `${BASE}/clients/ops/disable`, () =>
      problem(409, 'CLIENT_READ_ONLY', 'ops is declared in the configuration file'),
    );
    expect((await run(['clients', 'disable', 'nope'])).code).toBe(3);
    const readOnly = await run(['clients', 'disable', 'ops']);
    expect(readOnly.code).toBe(4);
    expect(readOnly.err).toContain('CLIENT_READ_ONLY');
  });

  it('shows the commands and their options in --help', async () => {
    const group = await run(['clients', '--help']);
    for (const word of ['add', 'list', 'rotate-secret', 'disable', 'enable'])
      expect(group.out).toContain(word);
    const add = await run(['clients', 'add', '--help']);
    for (const word of [
      '--scopes <scopes>',
      '--tenants <tenants>',
      '--display-name <name>',
      'printed once',
    ]) {
      expect(add.out).toContain(word);
    }
  });
});

describe('clients hash-secret', () => {
  it('prints a hash of the secret on standard input that the server accepts, offline', async () => {
    const io = {
      ...recordingIo({}),
      readStdin: () => Promise.resolve('a-development-secret-0123\n'),
    };
    expect(await runCli(['clients', 'hash-secret'], io)).toBe(0);
    const hash = io.stdoutText().trim();
    expect(hash).toMatch(/^scrypt\$N=32768,r=8,p=1\$/);
    expect(await new ScryptSecretHasher().verify('a-development-secret-0123', hash)).toBe(true);
  });

  it('makes a new secret with --generate, and refuses a short one on standard input', async () => {
    const generated = recordingIo({});
    expect(await runCli(['clients', 'hash-secret', '--generate'], generated)).toBe(0);
    const [secretLine, hashLine] = generated.stdoutText().trim().split('\n');
    const secret = secretLine!.replace('clientSecret: ', '');
    const hash = hashLine!.replace('clientSecretHash: ', '');
    expect(await new ScryptSecretHasher().verify(secret, hash)).toBe(true);

    const short = { ...recordingIo({}), readStdin: () => Promise.resolve('short\n') };
    expect(await runCli(['clients', 'hash-secret'], short)).toBe(2);
    expect(short.stderrText()).toContain('at least 16 characters');
  });
});
