import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEntry } from '@stella-orch/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeAuditEntry, makeCheckpoint } from '../../../client/test/admin-fixtures.js';
import { problem } from '../../../client/test/fake-http-server.js';
import { OPERATOR_ENV, startCliHarness, type CliHarness } from '../../test/cli-harness.js';

const BASE = '/api/v1/orchestrator';

let harness: CliHarness;
beforeEach(async () => {
  harness = await startCliHarness();
});
afterEach(async () => {
  await harness.close();
});

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => harness.run(argv, env);

function withoutTicket(entry: AuditEntry): AuditEntry {
  return Object.fromEntries(Object.entries(entry).filter(([key]) => key !== 'ticket')) as AuditEntry;
}

describe('audit list', () => {
  it('maps the filter flags to the query and prints a table, noting further pages', async () => {
    harness.server.route('GET', `${BASE}/audit`, () => ({
      body: {
        items: [makeAuditEntry(2), withoutTicket(makeAuditEntry(1, { requestTicket: 'REQ-1' }))],
        next_page_token: 'p2',
      },
    }));

    const result = await run([
      'audit',
      'list',
      '--actor',
      'alice',
      '--client',
      'ops-cli',
      '--action',
      'job.cancel',
      '--resource-type',
      'job',
      '--resource-id',
      'j-1',
      '--ticket',
      'OPS-1',
      '--since',
      '2030-01-01',
      '--until',
      '2030-01-31T12:00:00Z',
      '--page-size',
      '2',
    ]);

    expect(result.code).toBe(0);
    expect(Object.fromEntries(harness.apiRequests()[0]!.query)).toEqual({
      actor: 'alice',
      clientId: 'ops-cli',
      action: 'job.cancel',
      resourceType: 'job',
      resourceId: 'j-1',
      ticket: 'OPS-1',
      occurred_after: '2030-01-01T00:00:00.000Z',
      occurred_before: '2030-01-31T12:00:00.000Z',
      page_size: '2',
    });
    expect(harness.authority.tokenRequests[0]!['operator_ticket']).toBeUndefined();
    expect(result.out).toMatch(/#.*AT.*ACTOR.*ACTION.*RESOURCE.*TICKET.*AUDIT ID/);
    expect(result.out).toMatch(
      /2\s*│\s*2030-01-01 00:00:00Z\s*│\s*ops-cli\s*│\s*job\.cancel\s*│\s*job j-2\s*│\s*OPS-1/,
    );
    expect(result.out).toContain('REQ-1');
    expect(result.err).toContain('--all');
  });

  it('reads a duration as that long ago, and does not filter by the environment ticket', async () => {
    harness.server.route('GET', `${BASE}/audit`, () => ({ body: { items: [], next_page_token: null } }));
    const before = Date.now();
    const result = await run(['audit', 'list', '--since', '2h'], OPERATOR_ENV);
    expect(result.code).toBe(0);
    expect(result.out).toContain('No audit entries.');
    const query = harness.apiRequests()[0]!.query;
    const since = Date.parse(query.get('occurred_after')!);
    expect(Math.abs(before - 7_200_000 - since)).toBeLessThan(5_000);
    expect(query.has('ticket')).toBe(false);
  });

  it('follows every page with --all and prints JSON with --json', async () => {
    harness.server.route('GET', `${BASE}/audit`, (r) => ({
      body:
        r.query.get('page_token') === 'p2'
          ? { items: [makeAuditEntry(1)], next_page_token: null }
          : { items: [makeAuditEntry(3), makeAuditEntry(2)], next_page_token: 'p2' },
    }));
    const result = await run(['audit', 'list', '--all', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ next_page_token: null });
    expect(
      (JSON.parse(result.out) as { items: { sequence: number }[] }).items.map((e) => e.sequence),
    ).toEqual([3, 2, 1]);
  });

  it.each([
    [['--since', 'yesterday']],
    [['--until', '5 weeks']],
    [['--page-size', '0']],
    [['--page-size', '501']],
  ])('exits 2 on a bad filter: %j', async (flags) => {
    const result = await run(['audit', 'list', ...flags]);
    expect(result.code).toBe(2);
    expect(harness.server.requests).toHaveLength(0);
  });
});

describe('audit show', () => {
  it('shows an entry with its hashes', async () => {
    const entry = makeAuditEntry(7, { requestReason: 'asked by the owner' });
    harness.server.route('GET', `${BASE}/audit/a-7`, () => ({ body: entry }));
    const result = await run(['audit', 'show', 'a-7']);
    expect(result.code).toBe(0);
    for (const text of [
      'a-7',
      'job.cancel',
      'asked by the owner',
      '{"status":"canceled"}',
      entry.hash,
      entry.prevHash,
    ]) {
      expect(result.out).toContain(text);
    }
  });

  it('exits 3 for an unknown entry', async () => {
    harness.server.route('GET', `${BASE}/audit/nope`, () =>
      problem(404, 'AUDIT_ENTRY_NOT_FOUND', 'no entry nope'),
    );
    const result = await run(['audit', 'show', 'nope']);
    expect(result.code).toBe(3);
    expect(result.err).toContain('AUDIT_ENTRY_NOT_FOUND');
  });
});

describe('audit verify', () => {
  it('exits 0 when the chain verifies, naming the checkpoint it was compared with', async () => {
    harness.server.route('GET', `${BASE}/audit/verify`, () => ({
      body: {
        ok: true,
        checked: 12,
        lastSequence: 12,
        headHash: 'sha256:abc',
        checkpoint: makeCheckpoint({ sequence: 10 }),
      },
    }));
    const result = await run(['audit', 'verify']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/Status\s*│\s*ok/);
    expect(result.out).toMatch(/Entries checked\s*│\s*12/);
    expect(result.out).toContain('sequence 10, signed 2030-01-01 00:00:00Z by key audit-2030');
    expect(result.err).toBe('');
  });

  it('exits 7 with the broken sequence and the reason when it does not', async () => {
    harness.server.route('GET', `${BASE}/audit/verify`, () => ({
      body: { ok: false, brokenAt: 4, reason: 'prev_hash_mismatch' },
    }));
    const result = await run(['audit', 'verify']);
    expect(result.code).toBe(7);
    expect(result.out).toMatch(/Status\s*│\s*BROKEN/);
    expect(result.err).toBe(
      'error: the audit trail is broken at sequence 4: prev_hash_mismatch (an entry does not name the hash of ' +
        'the one before: an entry was removed, reordered or re-hashed)\n',
    );
  });

  it('prints the verification as JSON and the error as JSON under --json', async () => {
    const verification = { ok: false, brokenAt: 9, reason: 'checkpoint_mismatch' };
    harness.server.route('GET', `${BASE}/audit/verify`, () => ({ body: verification }));
    const result = await run(['--json', 'audit', 'verify']);
    expect(result.code).toBe(7);
    expect(JSON.parse(result.out)).toEqual(verification);
    expect(JSON.parse(result.err)).toMatchObject({ error: { code: 'AUDIT_CHAIN_BROKEN' } });
  });
});

describe('audit checkpoint', () => {
  it('creates a checkpoint with an orch:admin token and prints it', async () => {
    harness.server.route('POST', `${BASE}/audit/checkpoints`, () => ({
      status: 201,
      body: makeCheckpoint(),
    }));
    const result = await run(['audit', 'checkpoint'], OPERATOR_ENV);
    expect(result.code).toBe(0);
    expect(harness.authority.tokenRequests[0]).toMatchObject({
      scope: 'orch:admin',
      operator_ticket: 'OPS-42',
    });
    expect(result.out).toMatch(/Sequence\s*│\s*3/);
    expect(result.out).toMatch(/Key ID\s*│\s*audit-2030/);
    expect(result.out).toContain('c2lnbmF0dXJl');
  });
});

describe('audit export', () => {
  const entries = [makeAuditEntry(3), makeAuditEntry(4), makeAuditEntry(5)];
  const ndjson = entries.map((e) => `${JSON.stringify(e)}\n`).join('');
  const digest = `sha256:${createHash('sha256').update(ndjson).digest('hex')}`;
  const manifest = (overrides: Record<string, unknown> = {}) => ({
    tenantId: 't1',
    archiveId: 'arch-1',
    firstSequence: 3,
    throughSequence: 5,
    firstPrevHash: entries[0]!.prevHash,
    lastHash: entries[2]!.hash,
    entryCount: 3,
    ndjsonDigest: digest,
    createdAt: '2030-01-02T00:00:00.000Z',
    keyId: 'audit-2030',
    signature: 'c2ln',
    ...overrides,
  });

  function serve(body: string, manifestBody: unknown): void {
    harness.server.route('GET', `${BASE}/audit`, () => ({
      body: { items: [makeAuditEntry(5)], next_page_token: 'p' },
    }));
    harness.server.route('GET', `${BASE}/audit/export/manifest`, () => ({ body: manifestBody }));
    harness.server.route('GET', `${BASE}/audit/export`, () => ({
      text: body,
      headers: { 'content-type': 'application/x-ndjson' },
    }));
  }

  it('writes <tenant>-<first>-<through>.ndjson and .manifest.json once the digest matches', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-export-'));
    serve(ndjson, manifest());

    const result = await harness.run(['audit', 'export', '--out', 'archive', '--from', '3'], {}, dir);

    expect(result.code).toBe(0);
    const [headCall, manifestCall, exportCall] = harness.apiRequests();
    expect(Object.fromEntries(headCall!.query)).toEqual({ page_size: '1' });
    expect(Object.fromEntries(manifestCall!.query)).toEqual({ from_sequence: '3', through_sequence: '5' });
    expect(Object.fromEntries(exportCall!.query)).toEqual({ from_sequence: '3', through_sequence: '5' });
    expect((await readdir(join(dir, 'archive'))).sort()).toEqual(['t1-3-5.manifest.json', 't1-3-5.ndjson']);
    expect(await readFile(join(dir, 'archive', 't1-3-5.ndjson'), 'utf8')).toBe(ndjson);
    expect(JSON.parse(await readFile(join(dir, 'archive', 't1-3-5.manifest.json'), 'utf8'))).toEqual(
      manifest(),
    );
    expect(result.out).toContain('(matches the manifest)');
    expect(result.out).toContain(join(dir, 'archive', 't1-3-5.ndjson'));
  });

  it('prints what it wrote as JSON under --json; --from defaults to 1, and --through given reads no head', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-export-'));
    serve(ndjson, manifest());
    const result = await harness.run(['--json', 'audit', 'export', '--out', dir, '--through', '5'], {});
    expect(result.code).toBe(0);
    expect(harness.apiRequests().map((r) => r.path)).toEqual([
      `${BASE}/audit/export/manifest`,
      `${BASE}/audit/export`,
    ]);
    expect(Object.fromEntries(harness.apiRequests()[0]!.query)).toEqual({
      from_sequence: '1',
      through_sequence: '5',
    });
    expect(JSON.parse(result.out)).toEqual({
      ndjsonFile: join(dir, 't1-3-5.ndjson'),
      manifestFile: join(dir, 't1-3-5.manifest.json'),
      manifest: manifest(),
      digestVerified: true,
    });
  });

  it.each([
    ['digest', manifest({ ndjsonDigest: `sha256:${'0'.repeat(64)}` }), 'its digest is'],
    ['entry count', manifest({ entryCount: 4 }), 'the export holds 3 entries, the manifest says 4'],
  ])('exits 7 and writes nothing when the %s does not match', async (_what, manifestBody, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-export-'));
    serve(ndjson, manifestBody);
    const result = await harness.run(['audit', 'export', '--out', dir]);
    expect(result.code).toBe(7);
    expect(result.err).toContain(message);
    expect(result.err).toContain('nothing was written');
    expect(await readdir(dir)).toEqual([]);
  });

  it('exits 2 for an empty trail, or a --from past the head', async () => {
    harness.server.route('GET', `${BASE}/audit`, () => ({ body: { items: [], next_page_token: null } }));
    const empty = await run(['audit', 'export', '--out', 'x']);
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('nothing to export');

    harness.server.route('GET', `${BASE}/audit`, () => ({
      body: { items: [makeAuditEntry(5)], next_page_token: null },
    }));
    const past = await run(['audit', 'export', '--out', 'x', '--from', '9']);
    expect(past.code).toBe(2);
    expect(past.err).toContain('--from 9 is after the head (5)');
  });

  it('never overwrites an earlier export', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-export-'));
    await writeFile(join(dir, 't1-3-5.manifest.json'), 'kept');
    serve(ndjson, manifest());
    const result = await harness.run(['audit', 'export', '--out', dir]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('t1-3-5.manifest.json exists already');
    expect(await readdir(dir)).toEqual(['t1-3-5.manifest.json']);
    expect(await readFile(join(dir, 't1-3-5.manifest.json'), 'utf8')).toBe('kept');
  });

  it.each([
    [['audit', 'export']],
    [['audit', 'export', '--out', 'x', '--from', '5', '--through', '3']],
    [['audit', 'export', '--out', 'x', '--from', '0']],
  ])('exits 2 on bad flags: %j', async (argv) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(harness.server.requests).toHaveLength(0);
  });

  it('says in --help what it writes and that the signature is not checked', async () => {
    const result = await run(['audit', 'export', '--help']);
    expect(result.out).toContain('<tenant>-<first>-<through>.ndjson');
    expect(result.out).toContain('--out <dir>');
    expect(result.out).toContain('--from <n>');
    expect(result.out).toContain('--through <n>');
    expect(result.out).toContain('signature is not checked here');
  });
});

describe('audit --help', () => {
  it('lists the audit commands and the list filters', async () => {
    const group = await run(['audit', '--help']);
    for (const word of ['list', 'show', 'verify', 'checkpoint', 'export']) expect(group.out).toContain(word);
    const list = await run(['audit', 'list', '--help']);
    for (const flag of [
      '--actor',
      '--client',
      '--action',
      '--resource-type',
      '--resource-id',
      '--since',
      '--until',
      '--page-size',
      '--all',
    ]) {
      expect(list.out).toContain(flag);
    }
    expect(list.out).toContain('Here the global --ticket <ticket> filters');
  });
});
