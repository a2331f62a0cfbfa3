import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OrchestratorApiError } from './api-error.js';
import { SseParser, type StreamedItem } from './event-stream.js';
import { OrchestratorClient } from './orchestrator-client.js';

const pos = (n: number) => n.toString(16).padStart(32, '0');
const event = (n: number) =>
  `id: ${pos(n)}\nevent: job.created\ndata: ${JSON.stringify({ schema: 'orch.event.v1', eventId: String(n), eventType: 'job.created' })}\n\n`;

describe('SseParser', () => {
  it('parses messages split anywhere, CRLF or LF, skipping comments', () => {
    const parser = new SseParser();
    const text = `retry: 1000\r\n\r\n: keep-alive\n\nid: 7\nevent: job.failed\ndata: {"a":\ndata: 1}\n\n`;
    const messages = Array.from({ length: text.length }, (_, i) => text.charAt(i)).flatMap((char) =>
      parser.push(char),
    );
    expect(messages).toEqual([{ id: '7', event: 'job.failed', data: '{"a":\n1}' }]);
  });
});

describe('client.events.stream', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('reconnects after a dropped connection and a server-ended stream from the last position, and throws a refusal', async () => {
    const seen: IncomingHttpHeaders[] = [];
    server = createServer((req, res) => {
      seen.push(req.headers);
      const call = seen.length;
      if (call === 3) {
        res.writeHead(401, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ status: 401, code: 'UNAUTHORIZED', title: 'no' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (call === 1) {
        res.write(
          `id: ${pos(0)}\nevent: subscribed\ndata: {"position":"${pos(0)}"}\n\n${event(1)}${event(2)}`,
        );
        // A crash mid-stream: the connection drops without an end.
        setTimeout(() => res.destroy(), 50);
      } else {
        res.end(
          `${event(3)}id: ${pos(3)}\nevent: resync\ndata: {"position":"${pos(3)}","reason":"shutdown"}\n\n`,
        );
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new OrchestratorClient({
      baseUrl: `http://127.0.0.1:${port}`,
      tenant: 't1',
      accessToken: 'token',
      retry: { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 20 },
    });
    const items: StreamedItem[] = [];
    const streaming = (async () => {
      for await (const item of client.events.stream({ filter: { type: 'job.' } })) items.push(item);
    })();
    await expect(streaming).rejects.toBeInstanceOf(OrchestratorApiError);
    expect(items.map((item) => (item.kind === 'event' ? item.event.eventId : item.kind))).toEqual([
      '1',
      '2',
      '3',
      'resync',
    ]);
    expect(seen[0]?.['last-event-id']).toBeUndefined();
    expect(seen[1]?.['last-event-id']).toBe(pos(2));
    expect(seen[2]?.['last-event-id']).toBe(pos(3));
    expect(seen.every((headers) => headers.authorization === 'Bearer token')).toBe(true);
    expect(seen[0]?.['x-stella-tenant']).toBe('t1');
  });

  it('keeps trying through a restart with maxReconnects: Infinity, and gives up after the client retries without', async () => {
    let calls = 0;
    server = createServer((_req, res) => {
      calls++;
      if (calls <= 3) {
        res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '0' });
        res.end(JSON.stringify({ status: 503, code: 'SHUTTING_DOWN', title: 'restarting' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(event(1));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new OrchestratorClient({
      baseUrl: `http://127.0.0.1:${port}`,
      accessToken: 'token',
      retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 },
    });
    const first = async (options: { maxReconnects?: number }) => {
      for await (const item of client.events.stream(options)) return item;
      return undefined;
    };
    await expect(first({})).rejects.toMatchObject({ status: 503 });
    calls = 0;
    expect(await first({ maxReconnects: Number.POSITIVE_INFINITY })).toMatchObject({
      kind: 'event',
      position: pos(1),
    });
    expect(calls).toBe(4);
  });
});
