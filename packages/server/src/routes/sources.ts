import {
  auditMetadataOf,
  OrchestratorError,
  sourceRegistrationDigest,
  type RequestContext,
  type Source,
  type SourceChangeContext,
  type SourcePatch,
  type SourceRateLimit,
  type SourceStateChange,
  type SourceStore,
} from '@stella-orch/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { expectedVersionFrom, idempotencyKeyFrom, pageFrom } from '../http-input.js';
import { contextOf } from '../request-context.js';
import { emptyBody, pageOf, pageQuerySchema, pauseBody, withProblems } from '../schemas.js';

const RATE_LIMIT_NOTE =
  'The rate limit and the concurrency limit (maxConcurrent) are stored with the source and applied at the lease grant by admission (docs/decisions/0016-admission-and-limits.md): every limit that applies to a job must allow its lease, and a held job waits, never fails.';

const sourceIdParams = {
  type: 'object',
  required: ['sourceId'],
  properties: { sourceId: { type: 'string', minLength: 1, maxLength: 256 } },
} as const;

const rateLimitBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['burst', 'refillPerSecond'],
  properties: {
    burst: { type: 'integer', description: 'Jobs at once: 1 to 1,000,000' },
    refillPerSecond: { type: 'number', description: 'Greater than 0, at most 100,000' },
  },
} as const;

const descriptiveFields = {
  sourceType: {
    type: 'string',
    description: 'concelier, excititor, scheduler, export, policy or any other lower-case type',
  },
  displayName: { type: ['string', 'null'] },
  description: { type: ['string', 'null'] },
  rateLimit: rateLimitBody,
  maxConcurrent: {
    type: ['integer', 'null'],
    description: 'The most jobs of the source leased or running at once: 1 to 1,000,000; null: unlimited',
  },
} as const;

interface RegisterBody {
  sourceId: string;
  sourceType: string;
  displayName?: string | null;
  description?: string | null;
  rateLimit?: SourceRateLimit | null;
  maxConcurrent?: number | null;
}

interface PatchBody extends SourcePatch {
  version?: number;
}

function changeOf(ctx: RequestContext): SourceChangeContext {
  return { actor: ctx.actor, audit: auditMetadataOf(ctx) };
}

function notFound(sourceId: string): OrchestratorError {
  return new OrchestratorError('SOURCE_NOT_FOUND', `source ${sourceId} does not exist`, {
    details: { sourceId },
  });
}

/** Sends a source with its version as the ETag. */
function sendSource(reply: FastifyReply, source: Source, status = 200): FastifyReply {
  return reply.code(status).header('etag', `"${source.version}"`).send(source);
}

function booleanFrom(value: 'true' | 'false' | undefined): boolean | undefined {
  return value === undefined ? undefined : value === 'true';
}

/**
 * Sources (SPEC §2): register, list, get, update, enable/disable, pause/resume. Changes need
 * `orch:operate` and are audited (`source.*`) with the change; reads need `orch:read`.
 */
export function registerSourceRoutes(app: FastifyInstance, deps: { readonly sources: SourceStore }): void {
  const { sources } = deps;

  app.post<{ Body: RegisterBody }>(
    '/sources',
    {
      schema: {
        tags: ['sources'],
        summary: 'Register a source (audited as source.register)',
        description: RATE_LIMIT_NOTE,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['sourceId', 'sourceType'],
          properties: { sourceId: { type: 'string' }, ...descriptiveFields },
        },
        response: withProblems({ 200: { $ref: 'Source#' }, 201: { $ref: 'Source#' } }, [400, 409]),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const body = request.body;
      const result = await sources.forTenant(ctx.tenantId).registerSource({
        source: {
          ...body,
          idempotencyKey: idempotencyKeyFrom(request.headers) ?? null,
          requestDigest: sourceRegistrationDigest(body),
        },
        ...changeOf(ctx),
      });
      if (!result.created) void reply.header('idempotent-replayed', 'true');
      return sendSource(reply, result.source, result.created ? 201 : 200);
    },
  );

  app.get<{
    Querystring: {
      sourceType?: string;
      enabled?: 'true' | 'false';
      paused?: 'true' | 'false';
      page_size?: string;
      page_token?: string;
    };
  }>(
    '/sources',
    {
      schema: {
        tags: ['sources'],
        summary: 'List sources in registration order',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            sourceType: { type: 'string', maxLength: 64 },
            enabled: { type: 'string', enum: ['true', 'false'] },
            paused: { type: 'string', enum: ['true', 'false'] },
            ...pageQuerySchema,
          },
        },
        response: withProblems({ 200: pageOf('Source') }, [400]),
      },
    },
    async (request) => {
      const { sourceType } = request.query;
      const enabled = booleanFrom(request.query.enabled);
      const paused = booleanFrom(request.query.paused);
      const page = await sources.forTenant(contextOf(request).tenantId).listSources({
        ...pageFrom(request.query),
        ...(sourceType === undefined ? {} : { sourceType }),
        ...(enabled === undefined ? {} : { enabled }),
        ...(paused === undefined ? {} : { paused }),
      });
      return { items: page.items, next_page_token: page.nextPageToken };
    },
  );

  app.get<{ Params: { sourceId: string } }>(
    '/sources/:sourceId',
    {
      schema: {
        tags: ['sources'],
        summary: 'Get a source (its version is the ETag)',
        params: sourceIdParams,
        response: withProblems({ 200: { $ref: 'Source#' } }, [404]),
      },
    },
    async (request, reply) => {
      const { sourceId } = request.params;
      const source = await sources.forTenant(contextOf(request).tenantId).getSource(sourceId);
      if (source === null) throw notFound(sourceId);
      return sendSource(reply, source);
    },
  );

  app.patch<{ Params: { sourceId: string }; Body: PatchBody }>(
    '/sources/:sourceId',
    {
      schema: {
        tags: ['sources'],
        summary:
          'Update a source’s type, display fields, rate limit or concurrency limit (audited as source.update)',
        description: `Optimistic: with \`If-Match: "N"\` (or \`version: N\` in the body) the update is refused with 412 SOURCE_VERSION_MISMATCH unless the source is at version N. An update that changes nothing records nothing. ${RATE_LIMIT_NOTE}`,
        params: sourceIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { ...descriptiveFields, version: { type: 'integer', minimum: 1 } },
        },
        response: withProblems({ 200: { $ref: 'Source#' } }, [400, 404, 412]),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const { version, ...patch } = request.body;
      const expectedVersion = expectedVersionFrom(request.headers['if-match'], version, 'a source');
      const { source } = await sources.forTenant(ctx.tenantId).updateSource({
        sourceId: request.params.sourceId,
        patch,
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
        ...changeOf(ctx),
      });
      return sendSource(reply, source);
    },
  );

  const stateRoutes: readonly {
    readonly action: SourceStateChange['action'];
    readonly summary: string;
  }[] = [
    { action: 'enable', summary: 'Enable a source: it takes new jobs again' },
    {
      action: 'disable',
      summary: 'Disable a source: new jobs are refused (409 SOURCE_DISABLED); its queued jobs are held',
    },
    {
      action: 'pause',
      summary: 'Pause a source: its queued jobs are held (not leased, never failed) until it is resumed',
    },
    { action: 'resume', summary: 'Resume a paused source: its held jobs can be leased again' },
  ];
  for (const { action, summary } of stateRoutes) {
    app.post<{ Params: { sourceId: string }; Body: { reason?: string; ticket?: string | null } }>(
      `/sources/:sourceId/${action}`,
      {
        schema: {
          tags: ['sources'],
          summary: `${summary} (audited as source.${action})`,
          description:
            'A repeat (pausing a paused source, enabling an enabled one…) answers 200 with the source as it is and records nothing; a paused source keeps its first reason.',
          params: sourceIdParams,
          body: action === 'pause' ? pauseBody : emptyBody,
          response: withProblems({ 200: { $ref: 'Source#' } }, [400, 404]),
        },
      },
      async (request, reply) => {
        const ctx = contextOf(request);
        const { reason = '', ticket = null } = request.body;
        const change: SourceStateChange =
          action === 'pause' ? { action, pause: { reason, ticket } } : { action };
        const { source } = await sources.forTenant(ctx.tenantId).changeSourceState({
          sourceId: request.params.sourceId,
          change,
          ...changeOf(ctx),
        });
        return sendSource(reply, source);
      },
    );
  }
}
