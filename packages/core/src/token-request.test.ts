import { describe, expect, it } from 'vitest';
import { OAuthError, type OAuthErrorCode } from './oauth-error.js';
import { GRANT_METADATA_FIELDS, SCOPE_RULES, SCOPES, type GrantMetadataField } from './scopes.js';
import {
  readClientAuthentication,
  readRequestedGrant,
  summarizeRequestedGrant,
  type TokenRequestInput,
} from './token-request.js';

const CREDENTIALS = { grant_type: 'client_credentials', client_id: 'console', client_secret: 's3cret' };

/** Every reason/ticket field, each with a value within the policy. */
const ALL_METADATA: Record<GrantMetadataField, string> = {
  operator_reason: 'maintenance window',
  operator_ticket: 'OPS-1',
  quota_reason: 'seasonal load',
  quota_ticket: 'CAP-2',
  backfill_reason: 'missed feed',
  backfill_ticket: 'BF-3',
};

function oauthFailure(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error('expected an OAuthError, nothing was thrown');
}

function expectRefusal(fn: () => unknown, code: OAuthErrorCode, description: string | RegExp): OAuthError {
  const error = oauthFailure(fn);
  expect(error.error).toBe(code);
  if (typeof description === 'string') expect(error.message).toBe(description);
  else expect(error.message).toMatch(description);
  return error;
}

describe('readClientAuthentication', () => {
  it('reads the client credentials from the body', () => {
    expect(readClientAuthentication({ form: CREDENTIALS })).toEqual({
      clientId: 'console',
      clientSecret: 's3cret',
    });
  });

  it('reads them from HTTP Basic', () => {
    const input: TokenRequestInput = {
      form: { grant_type: 'client_credentials', scope: 'orch:read' },
      basic: { clientId: 'svc.worker_1', clientSecret: 'b4sic' },
    };
    expect(readClientAuthentication(input)).toEqual({ clientId: 'svc.worker_1', clientSecret: 'b4sic' });
  });

  it('accepts a body client_id that repeats the HTTP Basic one', () => {
    const input: TokenRequestInput = {
      form: { grant_type: 'client_credentials', client_id: 'console' },
      basic: { clientId: 'console', clientSecret: 'b4sic' },
    };
    expect(readClientAuthentication(input)).toEqual({ clientId: 'console', clientSecret: 'b4sic' });
  });

  it('refuses first what the HTTP adapter found malformed, with its code and description', () => {
    expectRefusal(
      () =>
        readClientAuthentication({
          form: CREDENTIALS,
          malformed: { error: 'invalid_request', description: 'client_id is repeated' },
        }),
      'invalid_request',
      'client_id is repeated',
    );
    expectRefusal(
      () =>
        readClientAuthentication({
          form: {},
          malformed: { error: 'invalid_client', description: 'Authorization must be HTTP Basic' },
        }),
      'invalid_client',
      'Authorization must be HTTP Basic',
    );
  });

  it('requires a grant type', () => {
    for (const form of [
      { client_id: 'console', client_secret: 's' },
      { ...CREDENTIALS, grant_type: '' },
    ]) {
      expectRefusal(
        () => readClientAuthentication({ form }),
        'invalid_request',
        'grant_type is required (client_credentials)',
      );
    }
  });

  it('supports client_credentials only, quoting the grant type safely', () => {
    expectRefusal(
      () => readClientAuthentication({ form: { ...CREDENTIALS, grant_type: 'password' } }),
      'unsupported_grant_type',
      'grant_type "password" is not supported',
    );
    expectRefusal(
      () => readClientAuthentication({ form: { ...CREDENTIALS, grant_type: 'Client_Credentials' } }),
      'unsupported_grant_type',
      'grant_type "Client_Credentials" is not supported',
    );
  });

  it('escapes control characters and cuts long values when quoting', () => {
    const controls = oauthFailure(() =>
      readClientAuthentication({ form: { ...CREDENTIALS, grant_type: 'a\nb\u0000c\u007fd\u0085e\u009b' } }),
    );
    expect(controls.error).toBe('unsupported_grant_type');
    expect(controls.message).toBe('grant_type "a\\nb\\u0000c?d?e?" is not supported');
    expect(controls.message).not.toMatch(/\p{Cc}/u);

    const long = oauthFailure(() =>
      readClientAuthentication({ form: { ...CREDENTIALS, grant_type: 'g'.repeat(65) } }),
    );
    expect(long.message).toBe(`grant_type "${'g'.repeat(64)}…" is not supported`);
    const exact = oauthFailure(() =>
      readClientAuthentication({ form: { ...CREDENTIALS, grant_type: 'g'.repeat(64) } }),
    );
    expect(exact.message).toBe(`grant_type "${'g'.repeat(64)}" is not supported`);
  });

  it('refuses a secret given both in HTTP Basic and the body', () => {
    expectRefusal(
      () =>
        readClientAuthentication({
          form: CREDENTIALS,
          basic: { clientId: 'console', clientSecret: 's3cret' },
        }),
      'invalid_request',
      'give the client secret once: HTTP Basic or the body, not both',
    );
  });

  it('refuses a body client_id other than the HTTP Basic one', () => {
    expectRefusal(
      () =>
        readClientAuthentication({
          form: { grant_type: 'client_credentials', client_id: 'other' },
          basic: { clientId: 'console', clientSecret: 's3cret' },
        }),
      'invalid_request',
      'client_id does not match the HTTP Basic credentials',
    );
  });

  it('requires a client id and a secret', () => {
    const required = 'client authentication is required (client_id and client_secret)';
    const inputs: TokenRequestInput[] = [
      { form: { grant_type: 'client_credentials' } },
      { form: { grant_type: 'client_credentials', client_id: 'console' } },
      { form: { grant_type: 'client_credentials', client_secret: 's3cret' } },
      { form: { ...CREDENTIALS, client_id: '' } },
      { form: { ...CREDENTIALS, client_secret: '' } },
      { form: { grant_type: 'client_credentials' }, basic: { clientId: '', clientSecret: 's3cret' } },
      { form: { grant_type: 'client_credentials' }, basic: { clientId: 'console', clientSecret: '' } },
    ];
    for (const input of inputs) {
      const error = expectRefusal(() => readClientAuthentication(input), 'invalid_client', required);
      expect(error.status).toBe(401);
    }
  });

  it('fails a malformed client id or an over-long secret without saying which', () => {
    const failed = 'client authentication failed';
    for (const clientId of ['-console', 'a b', 'x'.repeat(129), 'cönsole']) {
      expectRefusal(
        () => readClientAuthentication({ form: { ...CREDENTIALS, client_id: clientId } }),
        'invalid_client',
        failed,
      );
    }
    expectRefusal(
      () =>
        readClientAuthentication({
          form: { grant_type: 'client_credentials' },
          basic: { clientId: 'bad/id', clientSecret: 's3cret' },
        }),
      'invalid_client',
      failed,
    );
    expectRefusal(
      () => readClientAuthentication({ form: { ...CREDENTIALS, client_secret: 's'.repeat(1025) } }),
      'invalid_client',
      failed,
    );
    expect(
      readClientAuthentication({
        form: { ...CREDENTIALS, client_id: 'x'.repeat(128), client_secret: 's'.repeat(1024) },
      }),
    ).toEqual({ clientId: 'x'.repeat(128), clientSecret: 's'.repeat(1024) });
  });

  it('never puts the secret in a description', () => {
    const secret = 'TOP-SECRET-VALUE';
    const inputs: TokenRequestInput[] = [
      { form: { ...CREDENTIALS, client_secret: secret, grant_type: 'password' } },
      {
        form: { ...CREDENTIALS, client_secret: secret },
        basic: { clientId: 'console', clientSecret: secret },
      },
      { form: { ...CREDENTIALS, client_secret: secret, client_id: 'bad id' } },
      { form: { ...CREDENTIALS, client_secret: `${secret}${'s'.repeat(1024)}` } },
    ];
    for (const input of inputs)
      expect(oauthFailure(() => readClientAuthentication(input)).message).not.toContain(secret);
  });
});

describe('readRequestedGrant', () => {
  it('reads the scopes, the tenant and the reason/ticket fields', () => {
    expect(readRequestedGrant({ ...CREDENTIALS, scope: 'orch:read orch:submit', tenant: 't1' })).toEqual({
      scopes: ['orch:read', 'orch:submit'],
      tenant: 't1',
      metadata: {},
    });
    expect(readRequestedGrant({ scope: 'orch:operate', ...ALL_METADATA })).toEqual({
      scopes: ['orch:operate'],
      tenant: undefined,
      metadata: ALL_METADATA,
    });
  });

  it('collapses repeated scopes and extra spaces, keeping the first order', () => {
    expect(readRequestedGrant({ scope: ' orch:submit  orch:read orch:submit orch:read ' }).scopes).toEqual([
      'orch:submit',
      'orch:read',
    ]);
  });

  it('requires a scope', () => {
    for (const scope of [undefined, '', '   ']) {
      const form: Record<string, string> = scope === undefined ? {} : { scope };
      expectRefusal(
        () => readRequestedGrant(form),
        'invalid_request',
        'scope is required (for example "orch:read")',
      );
    }
  });

  it('refuses unknown scopes, naming every one, quoted safely', () => {
    expectRefusal(
      () => readRequestedGrant({ scope: 'orch:read openid orch:root' }),
      'invalid_scope',
      'unknown scope "openid", "orch:root"',
    );
    expectRefusal(
      () => readRequestedGrant({ scope: 'orch:read\torch:submit' }),
      'invalid_scope',
      'unknown scope "orch:read\\torch:submit"',
    );
    expectRefusal(
      () => readRequestedGrant({ scope: 'ORCH:READ' }),
      'invalid_scope',
      'unknown scope "ORCH:READ"',
    );
  });

  it('treats an empty tenant as absent', () => {
    expect(readRequestedGrant({ scope: 'orch:read', tenant: '' }).tenant).toBeUndefined();
  });

  it('refuses a malformed tenant', () => {
    for (const tenant of ['-t1', 't 1', '**', 't*', 'x'.repeat(65), 't1\n']) {
      expectRefusal(
        () => readRequestedGrant({ scope: 'orch:read', tenant }),
        'invalid_request',
        'tenant must be 1–64 of A-Z a-z 0-9 . _ - (starting alphanumeric), or * for a pool worker',
      );
    }
    expect(readRequestedGrant({ scope: 'orch:read', tenant: 'x'.repeat(64) }).tenant).toBe('x'.repeat(64));
  });

  it('reads exactly * as the pool tenant (which scopes it may carry is the Authority’s rule)', () => {
    expect(readRequestedGrant({ scope: 'orch:worker', tenant: '*' }).tenant).toBe('*');
    expect(readRequestedGrant({ scope: 'orch:read', tenant: '*' }).tenant).toBe('*');
  });

  it('accepts reasons of 256 and tickets of 128 characters, counting code points', () => {
    const reason = 'r'.repeat(256);
    const ticket = 't'.repeat(128);
    const emojiReason = '😀'.repeat(256);
    const emojiTicket = '😀'.repeat(128);
    expect(emojiReason.length).toBe(512);
    for (const [r, t] of [
      [reason, ticket],
      [emojiReason, emojiTicket],
    ] as const) {
      const form: Record<string, string> = { scope: 'orch:read' };
      for (const field of GRANT_METADATA_FIELDS) form[field] = field.endsWith('_ticket') ? t : r;
      expect(readRequestedGrant(form).metadata).toEqual(
        Object.fromEntries(GRANT_METADATA_FIELDS.map((f) => [f, f.endsWith('_ticket') ? t : r])),
      );
    }
  });

  it('refuses a reason of 257 or a ticket of 129 characters, naming the field', () => {
    for (const field of GRANT_METADATA_FIELDS) {
      const ticket = field.endsWith('_ticket');
      for (const unit of ['x', '😀']) {
        const value = unit.repeat(ticket ? 129 : 257);
        expectRefusal(
          () => readRequestedGrant({ scope: 'orch:read', [field]: value }),
          'invalid_request',
          `${field} must be at most ${ticket ? 128 : 256} characters`,
        );
      }
    }
  });

  it('refuses empty, malformed and control-character reasons and tickets', () => {
    for (const field of GRANT_METADATA_FIELDS) {
      expectRefusal(
        () => readRequestedGrant({ scope: 'orch:read', [field]: '' }),
        'invalid_request',
        `${field} must not be empty`,
      );
      expectRefusal(
        () => readRequestedGrant({ scope: 'orch:read', [field]: 'half \ud83d pair' }),
        'invalid_request',
        `${field} must be well-formed Unicode text`,
      );
      for (const control of ['\n', '\u0000', '\u001b', '\u007f', '\u0085']) {
        expectRefusal(
          () => readRequestedGrant({ scope: 'orch:read', [field]: `OPS${control}1` }),
          'invalid_request',
          `${field} must not contain control characters`,
        );
      }
    }
  });

  it('requires the fields each scope needs (SPEC §3)', () => {
    for (const scope of SCOPES) {
      const requires = SCOPE_RULES[scope].requires;
      const complete: Record<string, string> = { scope };
      for (const field of requires) complete[field] = ALL_METADATA[field];
      expect(readRequestedGrant(complete), scope).toEqual({
        scopes: [scope],
        tenant: undefined,
        metadata: Object.fromEntries(requires.map((f) => [f, ALL_METADATA[f]])),
      });
      if (requires.length === 0) continue;
      expectRefusal(
        () => readRequestedGrant({ scope }),
        'invalid_request',
        `scope ${scope} requires ${requires.join(' and ')}`,
      );
      for (const field of requires) {
        const partial = Object.fromEntries(Object.entries(complete).filter(([key]) => key !== field));
        expectRefusal(
          () => readRequestedGrant(partial),
          'invalid_request',
          `scope ${scope} requires ${field}`,
        );
      }
    }
  });

  it('spells out the rules: operate and admin need the operator’s reason and ticket', () => {
    expectRefusal(
      () => readRequestedGrant({ scope: 'orch:operate', operator_reason: 'r' }),
      'invalid_request',
      'scope orch:operate requires operator_ticket',
    );
    expectRefusal(
      () => readRequestedGrant({ scope: 'orch:admin' }),
      'invalid_request',
      'scope orch:admin requires operator_reason and operator_ticket',
    );
    expectRefusal(
      () => readRequestedGrant({ scope: 'orch:quota', quota_ticket: 'CAP-1' }),
      'invalid_request',
      'scope orch:quota requires quota_reason',
    );
    expectRefusal(
      () => readRequestedGrant({ scope: 'orch:backfill', backfill_reason: 'r', operator_ticket: 'OPS-1' }),
      'invalid_request',
      'scope orch:backfill requires backfill_ticket',
    );
  });

  it('does not take another scope’s fields as the ones required', () => {
    expectRefusal(
      () => readRequestedGrant({ scope: 'orch:backfill', operator_reason: 'r', operator_ticket: 't' }),
      'invalid_request',
      'scope orch:backfill requires backfill_reason and backfill_ticket',
    );
  });

  it('checks every requested scope', () => {
    const withoutQuotaReason: Partial<Record<GrantMetadataField, string>> = { ...ALL_METADATA };
    delete withoutQuotaReason.quota_reason;
    expectRefusal(
      () => readRequestedGrant({ scope: 'orch:read orch:operate orch:quota', ...withoutQuotaReason }),
      'invalid_request',
      'scope orch:quota requires quota_reason',
    );
    expect(
      readRequestedGrant({ scope: 'orch:read orch:operate orch:quota', ...ALL_METADATA }).scopes,
    ).toEqual(['orch:read', 'orch:operate', 'orch:quota']);
  });
});

describe('summarizeRequestedGrant', () => {
  it('keeps what a valid request asks for', () => {
    expect(
      summarizeRequestedGrant({ ...CREDENTIALS, scope: 'orch:operate', tenant: 't1', ...ALL_METADATA }),
    ).toEqual({
      scopes: ['orch:operate'],
      tenant: 't1',
      metadata: ALL_METADATA,
    });
  });

  it('keeps the known scopes once each and drops the rest', () => {
    expect(
      summarizeRequestedGrant({ scope: 'orch:read openid  orch:read orch:worker orch:x' }).scopes,
    ).toEqual(['orch:read', 'orch:worker']);
    expect(summarizeRequestedGrant({}).scopes).toEqual([]);
    expect(summarizeRequestedGrant({ scope: '' }).scopes).toEqual([]);
  });

  it('drops an empty or malformed tenant', () => {
    expect(summarizeRequestedGrant({ scope: 'orch:read' }).tenant).toBeUndefined();
    expect(summarizeRequestedGrant({ tenant: '' }).tenant).toBeUndefined();
    expect(summarizeRequestedGrant({ tenant: '../etc' }).tenant).toBeUndefined();
    expect(summarizeRequestedGrant({ tenant: 'x'.repeat(65) }).tenant).toBeUndefined();
    expect(summarizeRequestedGrant({ tenant: 't1' }).tenant).toBe('t1');
  });

  it('keeps only the reasons and tickets within the policy, at the same boundaries', () => {
    const summary = summarizeRequestedGrant({
      operator_reason: '😀'.repeat(256),
      operator_ticket: '😀'.repeat(129),
      quota_reason: 'r'.repeat(257),
      quota_ticket: 't'.repeat(128),
      backfill_reason: 'bad\nreason',
      backfill_ticket: '',
    });
    expect(summary.metadata).toEqual({ operator_reason: '😀'.repeat(256), quota_ticket: 't'.repeat(128) });
  });

  it('never throws, whatever the form', () => {
    const form = {
      grant_type: 'password',
      scope: '\u0000 orch:admin',
      tenant: '*',
      operator_reason: '\ud800',
    };
    expect(summarizeRequestedGrant(form)).toEqual({
      scopes: ['orch:admin'],
      tenant: '*',
      metadata: {},
    });
  });
});
