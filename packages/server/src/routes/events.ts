import type { WebSocket } from '@fastify/websocket';
import {
  decodeEventPosition,
  OrchestratorError,
  parseEventFilter,
  type EventFilter,
  type EventPosition,
  type JobStore,
} from '@stella-orch/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EventHub, StreamRequest } from '../events/event-hub.js';
import { acceptsGzip } from '../events/gzip-stream.js';
import { SseSink } from '../events/sse-sink.js';
import { WebSocketSink } from '../events/ws-sink.js';
import type { StreamSubscribers, StreamTransport } from '../metrics/orchestrator-metrics.js';
import { contextOf } from '../request-context.js';
import { withProblems } from '../schemas.js';

/** The filters of every stream. */
interface FilterQuery {
  type?: string;
  jobType?: string;
  source?: string;
  runId?: string;
  jobId?: string;
}

const text = { type: 'string', minLength: 1, maxLength: 256 } as const;
const position = { type: 'string', minLength: 1, maxLength: 64 } as const;
const filterProperties = {
  type: { type: 'string', minLength: 1, maxLength: 2_600 },
  jobType: text,
  source: text,
  runId: text,
  jobId: text,
} as const;

/** How long a WebSocket without `?from=` may take to send its first message, `{"from": …}`. */
const FIRST_MESSAGE_TIMEOUT_MS = 10_000;

/** The value of the live position: new events only. */
const LIVE = 'now';

const streamResponse = {
  200: {
    description:
      'text/event-stream: `subscribed`, then one message per event (`id:` position, `event:` type, `data:` orch.event.v1 envelope), keep-alive comments, and `resync` when the stream is cut',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  },
};

/** What the OpenAPI document says of the WebSocket stream (a GET that upgrades). */
const WS_DESCRIPTION = [
  'A GET with `Upgrade: websocket` (RFC 6455). Authenticate with `Authorization: Bearer <token>` or, from a browser',
  '(which cannot set that header on a WebSocket), with the subprotocol pair `Sec-WebSocket-Protocol: bearer, <token>`:',
  'the server selects `bearer`. Start with `?from=<position>` (`0`: the start of the log kept; `now`: new events',
  'only) or, without it, with a first text message `{"from": "<position>" | "now"}` within 10 s. Messages (JSON text):',
  '`{"type":"subscribed","position"}` first; `{"type":"event","position","event"}` per event (the `orch.event.v1`',
  'envelope); `{"type":"resync","position","reason":"position_expired","oldestPosition"}` when `from` is older than',
  'the log kept (the stream goes on from the oldest event kept); and last `{"type":"resync","position","reason"}` with',
  'reason `slow_consumer` (close code 1013) or `shutdown` (1001): resume after `position`. Keep-alives are pings.',
].join(' ');

const wsResponse = {
  101: { description: 'Switching Protocols: the stream of JSON messages described above' },
};

/** `after` of a stream: `Last-Event-ID` (an EventSource's reconnect) before `?after=`; `null` when neither. */
function positionOf(request: FastifyRequest, after: string | undefined): EventPosition | null {
  const header = request.headers['last-event-id'];
  const value = (Array.isArray(header) ? header[0] : header) ?? after;
  return value === undefined || value === '' || value === LIVE ? null : decodeEventPosition(value);
}

/** The hub and the gauge of subscribers. */
interface Streams {
  readonly hub: EventHub;
  readonly subscribers: StreamSubscribers;
}

/** Streams one subscriber, counted in the gauge while connected. */
async function counted(streams: Streams, transport: StreamTransport, request: StreamRequest): Promise<void> {
  streams.subscribers.inc(transport);
  try {
    await streams.hub.stream(request);
  } finally {
    streams.subscribers.dec(transport);
  }
}

/** Opens the SSE response and streams until it ends. */
async function streamSse(
  streams: Streams,
  request: FastifyRequest,
  reply: FastifyReply,
  start: { readonly after: EventPosition | null; readonly filter: EventFilter },
): Promise<void> {
  const { tenantId } = contextOf(request);
  void reply.hijack();
  // Compressed when the client accepts it: a batch of events is compressed once for every subscriber.
  const sink = new SseSink(reply.raw, { gzip: acceptsGzip(request.headers['accept-encoding']) });
  try {
    await counted(streams, 'sse', { tenantId, ...start, sink });
  } catch (error) {
    request.log.error({ err: error }, 'event stream failed');
    sink.end();
  }
}

/** Reads the first message of a WebSocket opened without `?from=`: `{"from": "<position>" | "now"}`. */
function firstMessage(socket: WebSocket): Promise<EventPosition | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('no subscription message'));
    }, FIRST_MESSAGE_TIMEOUT_MS);
    socket.once('message', (data: Buffer) => {
      clearTimeout(timer);
      try {
        const value: unknown = JSON.parse(data.toString('utf8'));
        const from =
          typeof value === 'object' && value !== null
            ? (value as Record<string, unknown>)['from']
            : undefined;
        if (from === undefined || from === null || from === LIVE) resolve(null);
        else if (typeof from === 'string') resolve(decodeEventPosition(from));
        else reject(new Error('"from" must be a position or "now"'));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/**
 * The live event streams of the caller's tenant (scope `orch:read`): SSE at `/events`, WebSocket at
 * `/events/ws`, and SSE of one run at `/runs/{runId}/events`. See docs/api.md.
 */
export function registerEventRoutes(
  app: FastifyInstance,
  deps: Streams & { readonly store: JobStore },
): void {
  const { store } = deps;
  // @fastify/websocket hides its routes from the OpenAPI document; this one is part of the API.
  app.addHook('onRoute', (route) => {
    if (route.websocket === true && route.schema !== undefined) route.schema.hide = false;
  });

  app.get<{ Querystring: FilterQuery & { after?: string } }>(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: "Stream the tenant's events (server-sent events; resume with Last-Event-ID or ?after=)",
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...filterProperties, after: position },
        },
        response: withProblems(streamResponse, [400]),
      },
    },
    async (request, reply) => {
      const { after, ...filters } = request.query;
      const start = { after: positionOf(request, after), filter: parseEventFilter(filters) };
      await streamSse(deps, request, reply, start);
    },
  );

  app.get<{ Params: { runId: string }; Querystring: Omit<FilterQuery, 'runId'> & { after?: string } }>(
    '/runs/:runId/events',
    {
      schema: {
        tags: ['events'],
        summary: "Stream one run's events (server-sent events; resume with Last-Event-ID or ?after=)",
        params: { type: 'object', properties: { runId: { type: 'string', maxLength: 256 } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            type: filterProperties.type,
            jobType: text,
            source: text,
            jobId: text,
            after: position,
          },
        },
        response: withProblems(streamResponse, [400, 404]),
      },
    },
    async (request, reply) => {
      const { runId } = request.params;
      const { after, ...filters } = request.query;
      const start = { after: positionOf(request, after), filter: parseEventFilter({ ...filters, runId }) };
      const run = await store.forTenant(contextOf(request).tenantId).getRun(runId);
      if (run === null) {
        throw new OrchestratorError('RUN_NOT_FOUND', `run ${runId} does not exist`, { details: { runId } });
      }
      await streamSse(deps, request, reply, start);
    },
  );

  app.get<{ Querystring: FilterQuery & { from?: string } }>(
    '/events/ws',
    {
      websocket: true,
      schema: {
        tags: ['events'],
        summary: "Stream the tenant's events over a WebSocket (JSON messages; ?from= or a first message)",
        description: WS_DESCRIPTION,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...filterProperties, from: position },
        },
        response: withProblems(wsResponse, [400, 401, 403]),
      },
      // Refusals (a bad filter or position) answer the upgrade request with problem+json.
      preHandler: (request, _reply, done) => {
        try {
          const { from, ...filters } = request.query;
          parseEventFilter(filters);
          if (from !== undefined && from !== LIVE) decodeEventPosition(from);
          done();
        } catch (error) {
          done(error as Error);
        }
      },
    },
    async (socket, request) => {
      const { tenantId } = contextOf(request);
      const { from, ...filters } = request.query;
      const filter = parseEventFilter(filters);
      let after: EventPosition | null;
      try {
        after =
          from === undefined ? await firstMessage(socket) : from === LIVE ? null : decodeEventPosition(from);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        socket.close(1008, reason.slice(0, 120));
        return;
      }
      try {
        await counted(deps, 'ws', { tenantId, after, filter, sink: new WebSocketSink(socket) });
      } catch (error) {
        request.log.error({ err: error }, 'event stream failed');
        socket.close(1011);
      }
    },
  );
}
