import { OrchestratorClient, type OrchestratorScope, type StreamedItem } from '@stella-orch/client';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_CLIENT, startServerProcess, type ServerProcess } from './harness.js';

// The SDK's event stream (`client.events.stream`) and `stella-orch events tail` against a real server
// process: events arrive once each, in order, compressed on the wire, and a new stream resumes exactly
// after the last position received.
const CLI = join(resolve(import.meta.dirname, '../..'), 'packages/cli/dist/bin.js');
const run = promisify(execFile);

let server: ServerProcess;
const TENANT = 'tail-e2e';

const clientWith = (scopes: OrchestratorScope[]) =>
  new OrchestratorClient({ baseUrl: server.url, tenant: TENANT, credentials: { ...E2E_CLIENT, scopes } });

/** Collects items from a stream until `done` holds; then aborts it. */
async function collect(
  client: OrchestratorClient,
  options: { after?: string; filter?: { jobType?: string } },
  done: (events: StreamedItem[]) => boolean,
): Promise<StreamedItem[]> {
  const stop = new AbortController();
  const timer = setTimeout(() => {
    stop.abort();
  }, 20_000);
  const items: StreamedItem[] = [];
  for await (const item of client.events.stream({ ...options, signal: stop.signal })) {
    items.push(item);
    if (done(items)) break;
  }
  clearTimeout(timer);
  return items;
}

beforeAll(async () => {
  server = await startServerProcess();
  const producer = clientWith(['orch:submit']);
  await producer.submitJobs(
    Array.from({ length: 30 }, (_, i) => ({ jobType: i % 3 === 0 ? 'tail.b' : 'tail.a', payload: { i } })),
  );
}, 60_000);
afterAll(async () => {
  await server.stop();
});

describe('event stream through the SDK and the CLI', () => {
  it('streams every event once in order, and a new stream resumes after the last position received', async () => {
    const reader = clientWith(['orch:read']);
    const first = await collect(reader, { after: '0' }, (items) => items.length === 12);
    const events = first.filter((item) => item.kind === 'event');
    expect(events).toHaveLength(12);
    const last = events.at(-1)!.position;
    const rest = await collect(reader, { after: last }, (items) => items.length === 18);
    const all = [...events, ...rest].map((item) => (item.kind === 'event' ? item : undefined));
    expect(all.every((item) => item?.event.eventType === 'job.created')).toBe(true);
    expect(new Set(all.map((item) => item?.event.jobId)).size).toBe(30);
    const positions = all.map((item) => item!.position);
    expect([...positions].sort()).toEqual(positions);
    // New events only, when no position is given: nothing old arrives before the next submission.
    const live = collect(reader, {}, (items) => items.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    const [fresh] = (await clientWith(['orch:submit']).submitJobs([{ jobType: 'tail.c' }])).jobs;
    const [next] = await live;
    expect(next?.kind === 'event' && next.event.jobId).toBe(fresh?.jobId);
  });

  it('asks for gzip, as browsers and fetch do, and gets it', async () => {
    const grant = await fetch(`${server.url}/connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: E2E_CLIENT.clientId,
        client_secret: E2E_CLIENT.clientSecret,
        scope: 'orch:read',
        tenant: TENANT,
      }),
    });
    const { access_token: token } = (await grant.json()) as { access_token: string };
    const headers = { 'accept-encoding': 'gzip', authorization: `Bearer ${token}` };
    const stop = new AbortController();
    const res = await fetch(`${server.url}/api/v1/orchestrator/events?after=0`, {
      headers,
      signal: stop.signal,
    });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    stop.abort();
  });

  it('stella-orch events tail prints NDJSON or lines, filtered, and stops after --limit', async () => {
    const env = {
      ...process.env,
      STELLA_ORCH_URL: server.url,
      STELLA_ORCH_TENANT: TENANT,
      STELLA_ORCH_CLIENT_ID: E2E_CLIENT.clientId,
      STELLA_ORCH_CLIENT_SECRET: E2E_CLIENT.clientSecret,
    };
    const json = await run(
      process.execPath,
      [CLI, '--json', 'events', 'tail', '--from-start', '--job-type', 'tail.b', '--limit', '5'],
      { env, timeout: 30_000 },
    );
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { position: string; event: { jobType: string } });
    expect(lines).toHaveLength(5);
    expect(
      lines.every((line) => line.event.jobType === 'tail.b' && /^[0-9a-f]{32}$/.test(line.position)),
    ).toBe(true);

    const text = await run(
      process.execPath,
      [CLI, 'events', 'tail', '--after', lines[4]!.position, '--limit', '2'],
      {
        env,
        timeout: 30_000,
      },
    );
    const printed = text.stdout.trim().split('\n');
    expect(printed).toHaveLength(2);
    expect(printed[0]).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}job\.created +tail\.[abc] [0-9a-f-]{36} #0 {2}pending/,
    );

    // Wrong input: a usage error (exit 2), nothing streamed.
    const failed = (error: unknown) => error as { code: number; stderr: string };
    const refused = await run(process.execPath, [CLI, 'events', 'tail', '--after', 'nope'], { env }).catch(
      failed,
    );
    expect(refused).toMatchObject({ code: 2 });
    const both = await run(
      process.execPath,
      [CLI, 'events', 'tail', '--after', lines[0]!.position, '--from-start'],
      { env },
    ).catch(failed);
    expect(both).toMatchObject({ code: 2 });
    expect((both as { stderr: string }).stderr).toContain('--after or --from-start');
  }, 60_000);
});
