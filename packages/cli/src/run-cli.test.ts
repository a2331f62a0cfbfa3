import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// The client package's scripted HTTP peer, shared rather than copied.
import { FakeHttpServer, problem } from '../../client/test/fake-http-server.js';
import { makeJob } from '../../client/test/fake-orchestrator.js';
import { CREDENTIALS_ENV, OPERATOR_ENV, startCliHarness, type CliHarness } from '../test/cli-harness.js';
import { recordingIo } from '../test/test-io.js';
import { runCli } from './run-cli.js';

const BASE = '/api/v1/orchestrator';

describe('usage', () => {
  it('prints help with the commands and the exit codes, exit 0', async () => {
    const io = recordingIo();
    expect(await runCli(['--help'], io)).toBe(0);
    const help = io.stdoutText();
    for (const word of [
      'serve',
      'migrate',
      'jobs',
      'demo',
      '--url',
      '--tenant',
      '--json',
      'Exit codes:',
      '5  server unavailable',
      'clients',
      'audit',
      '--client-id <id>',
      '--client-secret <secret>',
      'prefer env',
      'STELLA_ORCH_CLIENT_SECRET',
      '--reason <reason>',
      '--ticket <ticket>',
      '--quota-reason <reason>',
      '--backfill-ticket <ticket>',
      'STELLA_ORCH_OPERATOR_REASON',
      'Authentication:',
      '6  credentials refused',
      '7  integrity check failed',
    ]) {
      expect(help).toContain(word);
    }
  });

  it('prints help for nested commands too', async () => {
    const io = recordingIo();
    expect(await runCli(['jobs', 'submit', '--help'], io)).toBe(0);
    expect(io.stdoutText()).toContain('--payload-file <file>');
    expect(io.stdoutText()).toContain('--idempotency-key <key>');
    expect(io.stdoutText()).toContain('Exit codes:');
  });

  it.each([
    [['jobs', 'list', '--bogus']],
    [['jobs', 'submit', 'scan', '--priority', 'high']],
    [['jobs', 'submit', 'scan', '--priority', '5000']],
    [['jobs', 'submit', 'scan', '--payload', '{not json']],
    [['jobs', 'submit', 'scan', '--payload', '{}', '--payload-file', 'p.json']],
    [['jobs', 'list', '--status', 'pending,bogus']],
    [['jobs', 'list', '--limit', '0']],
    [['jobs', 'get']],
    [['jobs']],
    [[]],
    [['frobnicate']],
  ])('exits 2 on a usage error: %j', async (argv) => {
    const io = recordingIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.stderrText()).not.toBe('');
    expect(io.stdoutText()).toBe('');
  });

  it('exits 2 for a --url that is not a URL, before calling anything', async () => {
    const io = recordingIo();
    expect(await runCli(['--url', 'not a url', 'jobs', 'list'], io)).toBe(2);
    expect(io.stderrText()).toContain('--url');
  });

  it('exits 2 when the payload file cannot be read', async () => {
    const io = recordingIo({}, await mkdtemp(join(tmpdir(), 'cli-')));
    expect(await runCli(['jobs', 'submit', 'scan', '--payload-file', 'missing.json'], io)).toBe(2);
    expect(io.stderrText()).toContain('missing.json');
  });
});

describe('against an orchestrator', () => {
  let harness: CliHarness;
  let server: FakeHttpServer;
  beforeEach(async () => {
    harness = await startCliHarness();
    server = harness.server;
  });
  afterEach(async () => {
    await harness.close();
  });

  const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => harness.run(argv, env);
  const api = () => harness.apiRequests();

  it('submits a job with the flags as body and headers, and prints it', async () => {
    const job = makeJob({ jobType: 'scan', priority: 5, runId: 'r-1', idempotencyKey: 'k-1' });
    server.route('POST', `${BASE}/jobs`, () => ({ status: 201, body: job }));

    const result = await run(
      [
        'jobs',
        'submit',
        'scan',
        '--payload',
        '{"image":"alpine"}',
        '--priority',
        '5',
        '--idempotency-key',
        'k-1',
        '--run-id',
        'r-1',
        '--source',
        'nvd',
        '--project',
        'p-1',
        '--correlation-id',
        'c-1',
        '--not-before',
        '2030-01-01T00:00:00Z',
        '--event-time',
        '2024-01-01T00:00:00Z',
      ],
      { STELLA_ORCH_TENANT: 'acme' },
    );

    expect(result.code).toBe(0);
    const [request] = api();
    expect(request!.body).toEqual({
      jobType: 'scan',
      payload: { image: 'alpine' },
      priority: 5,
      runId: 'r-1',
      sourceId: 'nvd',
      projectId: 'p-1',
      correlationId: 'c-1',
      notBefore: '2030-01-01T00:00:00Z',
      eventTime: '2024-01-01T00:00:00Z',
    });
    expect(request!.headers['idempotency-key']).toBe('k-1');
    expect(request!.headers['x-stella-tenant']).toBe('acme');
    expect(result.out).toContain(job.jobId);
    expect(result.out).toContain('Idempotency key');
  });

  it('reads the payload from a file relative to the working directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-'));
    await writeFile(join(dir, 'payload.json'), '{"feed":"nvd"}');
    server.route('POST', `${BASE}/jobs`, () => ({ status: 201, body: makeJob() }));
    expect(
      (await harness.run(['jobs', 'submit', 'ingest', '--payload-file', 'payload.json'], {}, dir)).code,
    ).toBe(0);
    expect(api()[0]!.body).toEqual({ jobType: 'ingest', payload: { feed: 'nvd' } });
  });

  it('lists jobs as a table with filters, and says when more pages exist', async () => {
    const jobs = [
      makeJob({ jobType: 'scan', status: 'failed' }),
      makeJob({ jobType: 'scan', status: 'pending' }),
    ];
    server.route('GET', `${BASE}/jobs`, () => ({ body: { items: jobs, next_page_token: 'next' } }));

    const result = await run([
      '--tenant',
      'acme',
      'jobs',
      'list',
      '--status',
      'failed,pending',
      '--job-type',
      'scan',
      '--limit',
      '2',
    ]);

    expect(result.code).toBe(0);
    const query = api()[0]!.query;
    expect(query.get('status')).toBe('failed,pending');
    expect(query.get('jobType')).toBe('scan');
    expect(query.get('page_size')).toBe('2');
    expect(api()[0]!.headers['x-stella-tenant']).toBe('acme');
    expect(harness.authority.tokenRequests[0]).toMatchObject({ scope: 'orch:read', tenant: 'acme' });
    expect(result.out).toMatch(/JOB ID.*TYPE.*STATUS/);
    for (const job of jobs) expect(result.out).toContain(job.jobId);
    expect(result.err).toContain('--all');
  });

  it('follows every page with --all and prints JSON with --json', async () => {
    const pages: Record<string, unknown> = {
      first: { items: [makeJob(), makeJob()], next_page_token: 'p2' },
      p2: { items: [makeJob()], next_page_token: null },
    };
    server.route('GET', `${BASE}/jobs`, (r) => ({ body: pages[r.query.get('page_token') ?? 'first'] }));

    const result = await run(['jobs', 'list', '--all', '--json']);

    expect(result.code).toBe(0);
    const printed = JSON.parse(result.out) as { items: unknown[] };
    expect(printed.items).toHaveLength(3);
    expect(api()).toHaveLength(2);
  });

  it('shows a job with its history', async () => {
    const job = makeJob({ status: 'succeeded', attempt: 2 });
    server.route('GET', `${BASE}/jobs/${job.jobId}`, () => ({ body: job }));
    server.route('GET', `${BASE}/jobs/${job.jobId}/history`, () => ({
      body: {
        items: [
          {
            sequence: 1,
            jobId: job.jobId,
            fromStatus: null,
            toStatus: 'pending',
            attempt: 0,
            reason: 'submitted',
            actor: 'alice',
            details: null,
            occurredAt: job.createdAt,
          },
          {
            sequence: 2,
            jobId: job.jobId,
            fromStatus: 'pending',
            toStatus: 'leased',
            attempt: 1,
            reason: 'leased',
            actor: 'w1',
            details: null,
            occurredAt: job.createdAt,
          },
        ],
      },
    }));

    const result = await run(['jobs', 'get', job.jobId]);

    expect(result.code).toBe(0);
    expect(result.out).toContain('2 of 3');
    expect(result.out).toContain('(new) → pending');
    expect(result.out).toContain('pending → leased');
  });

  it('exits 3 on a missing job and prints the problem code and detail', async () => {
    server.route('GET', /\/jobs\/[^/]+(\/history)?$/, () =>
      problem(404, 'JOB_NOT_FOUND', 'job nope does not exist'),
    );
    const result = await run(['jobs', 'get', 'nope']);
    expect(result.code).toBe(3);
    expect(result.err).toContain('JOB_NOT_FOUND');
    expect(result.err).toContain('job nope does not exist');
    expect(result.out).toBe('');
  });

  it('exits 4 on a conflict', async () => {
    server.route('POST', /\/cancel$/, () => problem(409, 'INVALID_TRANSITION', 'job j is succeeded'));
    const result = await run(['jobs', 'cancel', 'j', '--reason', 'typo', '--ticket', 'OPS-1']);
    expect(result.code).toBe(4);
    expect(api()[0]!.body).toEqual({ reason: 'typo' });
    expect(result.err).toContain('INVALID_TRANSITION: job j is succeeded');
  });

  it('exits 2 on VALIDATION_FAILED and lists the field errors', async () => {
    server.route('POST', `${BASE}/jobs`, () =>
      problem(400, 'VALIDATION_FAILED', 'jobType: bad', {
        errors: [{ path: 'jobType', message: 'must be 1–128 of …' }],
      }),
    );
    const result = await run(['jobs', 'submit', '!!']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('jobType: must be 1–128 of …');
  });

  it('exits 5 when the server stays unavailable', async () => {
    server.route('GET', `${BASE}/jobs/summary`, () => ({
      ...problem(503, 'STORE_UNAVAILABLE', 'the ledger is down'),
      headers: { 'retry-after': '0' },
    }));
    const result = await run(['jobs', 'summary']);
    expect(result.code).toBe(5);
    expect(result.err).toContain('STORE_UNAVAILABLE');
    expect(api().length).toBeGreaterThan(1);
  });

  it('exits 5 when the server cannot be reached', async () => {
    const url = server.url;
    await server.close();
    const io = recordingIo({ STELLA_ORCH_URL: url, ...CREDENTIALS_ENV });
    expect(await runCli(['jobs', 'list'], io)).toBe(5);
    expect(io.stderrText()).toContain('cannot reach the orchestrator');
    harness = await startCliHarness();
  });

  it('prints errors as JSON under --json', async () => {
    server.route('POST', /\/replay$/, () => problem(409, 'INVALID_TRANSITION', 'job j is running'));
    const result = await run(['--json', 'jobs', 'replay', 'j'], OPERATOR_ENV);
    expect(result.code).toBe(4);
    expect(JSON.parse(result.err)).toMatchObject({
      error: { code: 'INVALID_TRANSITION', detail: 'job j is running' },
    });
  });

  it('summarises jobs by status and job type', async () => {
    server.route('GET', `${BASE}/jobs/summary`, () => ({
      body: {
        total: 5,
        byStatus: { pending: 2, succeeded: 3 },
        byJobType: [{ jobType: 'scan', byStatus: { pending: 2, succeeded: 3 } }],
      },
    }));
    const result = await run(['jobs', 'summary', '--run-id', 'r-1']);
    expect(result.code).toBe(0);
    expect(api()[0]!.query.get('runId')).toBe('r-1');
    expect(result.out).toMatch(/total\s*│\s*5/);
    expect(result.out).toMatch(/scan(\s*│\s*\d+){8}/);
  });
});
