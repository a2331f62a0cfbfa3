import { PostgresEventLog } from '@stella-orch/store-postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventRetention } from '../src/index.js';
import { SseConnection, WsConnection, type StreamMessage } from './event-stream-client.js';
import { bearer, eventCount, submitJobs, TEST_EVENTS_CONFIG } from './events-fixtures.js';
import { ledgerEngines, startHarnessOn, type Harness } from './harness.js';

const ENGINES = await ledgerEngines('event stream resume suite');

/** Positions only grow, never repeat. */
function expectStrictlyIncreasing(events: readonly StreamMessage[]): void {
  for (let i = 1; i < events.length; i++) expect(events[i]!.position! > events[i - 1]!.position!).toBe(true);
}

describe.each(ENGINES)('event streams resume without a gap or a repeat on %s', (engine) => {
  let h: Harness;
  let base: string;
  const open: { cut(): void }[] = [];

  beforeAll(async () => {
    h = await startHarnessOn(engine, { config: { events: TEST_EVENTS_CONFIG } });
    base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  });
  beforeEach(() => {
    h.newTenant();
  });
  afterAll(async () => {
    for (const connection of open) connection.cut();
    await h.close();
  });

  const api = (path: string) => `${base}/api/v1/orchestrator${path}`;
  const track = <T extends { cut(): void }>(connection: T): T => {
    open.push(connection);
    return connection;
  };

  /** Writes `batches` batches of `size` jobs, a few milliseconds apart, while a test streams. */
  async function writer(batches: number, size: number): Promise<number> {
    for (let i = 0; i < batches; i++) {
      await submitJobs(h, size);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return batches * size;
  }

  it('SSE: a connection cut mid-stream resumes from Last-Event-ID while events keep being written', async () => {
    const token = await h.tokenFor({ scopes: ['orch:read'] });
    const first = track(await SseConnection.open(api('/events?after=0'), bearer(token)));
    const writing = writer(30, 20);
    await first.until(() => first.events().length >= 150);
    first.cut();
    const before = first.events();
    const resumed = track(
      await SseConnection.open(
        api('/events?after=0'),
        bearer(token, { 'last-event-id': before.at(-1)!.position! }),
      ),
    );
    const total = await writing;
    await resumed.until(() => before.length + resumed.events().length >= total);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const all = [...before, ...resumed.events()];
    expect(all).toHaveLength(total);
    expect(await eventCount(h, h.tenant)).toBe(total);
    expect(new Set(all.map((m) => m.body['eventId'])).size).toBe(total);
    expectStrictlyIncreasing(all);
    expect(resumed.messages[0]).toMatchObject({ kind: 'subscribed', position: before.at(-1)!.position });
  });

  it('SSE compressed (gzip): cut mid-stream and resumed, unfiltered and filtered, nothing lost or repeated', async () => {
    const token = await h.tokenFor({ scopes: ['orch:read'] });
    const gzip = { 'accept-encoding': 'gzip, deflate' };
    const first = track(await SseConnection.open(api('/events?after=0'), bearer(token, gzip)));
    // The filtered stream writes parts of each batch: those it compresses for itself alone.
    const filtered = track(
      await SseConnection.open(api('/events?after=0&jobType=ev.odd'), bearer(token, gzip)),
    );
    expect(first.gzip).toBe(true);
    expect(first.response.headers['vary']).toBe('accept-encoding');
    const batches = 30;
    const writing = (async () => {
      for (let i = 0; i < batches; i++) {
        const jobs = Array.from({ length: 20 }, (_, n) => ({ jobType: n % 2 === 1 ? 'ev.odd' : 'ev.test' }));
        const res = await h.call('POST', '/jobs/batch', { jobs });
        expect(res.statusCode).toBe(201);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return batches * 20;
    })();
    await first.until(() => first.events().length >= 150);
    first.cut();
    const before = first.events();
    const resumed = track(
      await SseConnection.open(
        api('/events?after=0'),
        bearer(token, { ...gzip, 'last-event-id': before.at(-1)!.position! }),
      ),
    );
    const total = await writing;
    await resumed.until(() => before.length + resumed.events().length >= total);
    await filtered.until(() => filtered.events().length >= total / 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const all = [...before, ...resumed.events()];
    expect(all).toHaveLength(total);
    expect(new Set(all.map((m) => m.body['eventId'])).size).toBe(total);
    expectStrictlyIncreasing(all);
    expect(filtered.events()).toHaveLength(total / 2);
    expect(filtered.events().every((m) => (m.body['jobType'] as string) === 'ev.odd')).toBe(true);
    expectStrictlyIncreasing(filtered.events());
    // The cut stream has no end; nothing else went wrong in the decoding.
    expect(first.gzipComplete).toBe(false);
    expect(resumed.gzipError).toBeUndefined();
    expect(filtered.gzipError).toBeUndefined();
  });

  it('WebSocket: a terminated socket resumes from its last position while events keep being written', async () => {
    const token = await h.tokenFor({ scopes: ['orch:read'] });
    const wsUrl = (path: string) => api(path).replace('http', 'ws');
    const first = track(await WsConnection.open(wsUrl('/events/ws?from=0'), bearer(token)));
    const writing = writer(30, 20);
    await first.until(() => first.events().length >= 150);
    first.cut();
    const before = first.events();
    const resumed = track(await WsConnection.open(wsUrl('/events/ws'), bearer(token)));
    resumed.socket.send(JSON.stringify({ from: before.at(-1)!.position }));
    const total = await writing;
    await resumed.until(() => before.length + resumed.events().length >= total);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const all = [...before, ...resumed.events()];
    expect(all).toHaveLength(total);
    expect(new Set(all.map((m) => m.body['eventId'])).size).toBe(total);
    expectStrictlyIncreasing(all);
  });

  it('a consumer that stops reading is cut off with resync at the last position written, and resumes from it', async () => {
    const token = await h.tokenFor({ scopes: ['orch:read'] });
    const slow = track(await SseConnection.open(api('/events?after=0'), bearer(token)));
    await slow.until((m) => m.length >= 1);
    slow.response.pause();
    const total = 10_000;
    await submitJobs(h, total);
    // The server stops writing once the socket holds 1 KiB unsent, and cuts the stream after 0.5 s of it.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    slow.response.resume();
    const messages = await slow.until(() => slow.ended, 30_000);
    const resync = messages.at(-1)!;
    const delivered = slow.events();
    expect(resync).toMatchObject({ kind: 'resync', body: { reason: 'slow_consumer' } });
    expect(delivered.length).toBeLessThan(total);
    expect(resync.position).toBe(delivered.at(-1)?.position ?? '0'.repeat(32));
    expect(resync.body['position']).toBe(resync.position);

    const rest = track(await SseConnection.open(api(`/events?after=${resync.position!}`), bearer(token)));
    await rest.until(() => delivered.length + rest.events().length >= total, 30_000);
    const all = [...delivered, ...rest.events()];
    expect(new Set(all.map((m) => m.body['eventId'])).size).toBe(total);
    expectStrictlyIncreasing(all);
  });

  it('retention prunes old events in batches, and a stream from the start then begins at the oldest kept', async () => {
    const tenant = h.tenant;
    await submitJobs(h, 25);
    const log = new PostgresEventLog(h.driver);
    const nothing = new EventRetention(
      { log, clock: { nowMs: () => Date.now() }, logger: h.app.log },
      { retentionHours: 1, pruneBatchSize: 10, pruneIntervalMs: 60_000 },
    );
    await nothing.sweep();
    expect(await eventCount(h, tenant)).toBe(25);
    const later = new EventRetention(
      { log, clock: { nowMs: () => Date.now() + 2 * 3_600_000 }, logger: h.app.log },
      { retentionHours: 1, pruneBatchSize: 10, pruneIntervalMs: 60_000 },
    );
    expect(await later.sweep()).toBeGreaterThanOrEqual(25);
    expect(await eventCount(h, tenant)).toBe(0);
    const [kept] = await submitJobs(h, 1);
    const conn = track(
      await SseConnection.open(api('/events?after=0'), bearer(await h.tokenFor({ scopes: ['orch:read'] }))),
    );
    await conn.until(() => conn.events().length >= 1);
    expect(conn.events().map((m) => m.body['jobId'])).toEqual([kept]);
  });

  it('a stream resumed from a position older than the log kept says position_expired first, on SSE and WebSocket', async () => {
    const token = await h.tokenFor({ scopes: ['orch:read'] });
    await submitJobs(h, 5);
    const all = track(await SseConnection.open(api('/events?after=0'), bearer(token)));
    await all.until(() => all.events().length >= 5);
    all.cut();
    const positions = all.events().map((m) => m.position!);
    const log = new PostgresEventLog(h.driver);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(await log.pruneEvents({ tenantId: h.tenant, olderThan: future, limit: 3 })).toBe(3);
    const expected = {
      position: positions[1],
      reason: 'position_expired',
      oldestPosition: positions[3],
    };
    const sse = track(await SseConnection.open(api(`/events?after=${positions[1]}`), bearer(token)));
    await sse.until(() => sse.events().length >= 2);
    expect(sse.messages.map((m) => m.kind).slice(0, 2)).toEqual(['subscribed', 'resync']);
    expect(sse.messages[1]!.body).toEqual(expected);
    expect(sse.events().map((m) => m.position)).toEqual(positions.slice(3));
    const ws = track(
      await WsConnection.open(
        `${api('/events/ws').replace('http', 'ws')}?from=${positions[1]}`,
        bearer(token),
      ),
    );
    await ws.until(() => ws.events().length >= 2);
    expect(ws.messages[1]).toMatchObject({ kind: 'resync', body: { type: 'resync', ...expected } });
    expect(ws.events().map((m) => m.position)).toEqual(positions.slice(3));
    expect(ws.closeCode).toBeUndefined();
    // A position still kept: no resync.
    const kept = track(await SseConnection.open(api(`/events?after=${positions[3]}`), bearer(token)));
    await kept.until(() => kept.events().length >= 1);
    expect(kept.messages.map((m) => m.kind)).toEqual(['subscribed', 'job.created']);
  });

  it('a closing server ends every stream with resync (shutdown) at the position to resume from', async () => {
    const closing = await startHarnessOn(engine, { config: { events: TEST_EVENTS_CONFIG } });
    const url = await closing.app.listen({ host: '127.0.0.1', port: 0 });
    const token = await closing.tokenFor({ scopes: ['orch:read'] });
    const sse = track(await SseConnection.open(`${url}/api/v1/orchestrator/events?after=0`, bearer(token)));
    const gzipped = track(
      await SseConnection.open(
        `${url}/api/v1/orchestrator/events?after=0`,
        bearer(token, { 'accept-encoding': 'gzip' }),
      ),
    );
    const ws = track(
      await WsConnection.open(
        `${url.replace('http', 'ws')}/api/v1/orchestrator/events/ws?from=0`,
        bearer(token),
      ),
    );
    await submitJobs(closing, 3);
    await sse.until(() => sse.events().length >= 3);
    await gzipped.until(() => gzipped.events().length >= 3);
    await ws.until(() => ws.events().length >= 3);
    await closing.close();
    for (const conn of [sse, gzipped, ws]) {
      await conn.until(() => conn.ended);
      expect(conn.messages.at(-1), conn.constructor.name).toMatchObject({
        kind: 'resync',
        position: conn.events().at(-1)!.position,
        body: { reason: 'shutdown' },
      });
    }
    expect(ws.closeCode).toBe(1001);
    // The compressed stream ended whole: its trailer's CRC-32 and length match every byte sent.
    expect(gzipped.gzip).toBe(true);
    expect(gzipped.gzipError).toBeUndefined();
    expect(gzipped.gzipComplete).toBe(true);
  });
});
