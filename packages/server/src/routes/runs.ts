import { canonicalJson, OrchestratorError, sha256Digest, type Ids, type JobStore } from '@stella-orch/core';
import type { FastifyInstance } from 'fastify';
import { idempotencyKeyFrom, pageFrom } from '../http-input.js';
import { contextOf } from '../request-context.js';
import { pageOf, pageQuerySchema, withProblems } from '../schemas.js';

/** Runs (groups of jobs); the dead-letter routes are in dead-letters.ts. */
export function registerRunRoutes(
  app: FastifyInstance,
  deps: { readonly store: JobStore; readonly ids: Ids },
): void {
  const { store, ids } = deps;

  app.post<{ Body: { name: string; sourceId?: string } }>(
    '/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'Create a run to group jobs',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            sourceId: { type: 'string', minLength: 1, maxLength: 256 },
          },
        },
        response: withProblems({ 200: { $ref: 'Run#' }, 201: { $ref: 'Run#' } }, [400, 409]),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const { name, sourceId = null } = request.body;
      const result = await store.forTenant(ctx.tenantId).createRun({
        run: {
          runId: ids.uuid(),
          name,
          sourceId,
          idempotencyKey: idempotencyKeyFrom(request.headers) ?? null,
          requestDigest: sha256Digest(canonicalJson({ name, sourceId })),
        },
        actor: ctx.actor,
      });
      if (!result.created) void reply.header('idempotent-replayed', 'true');
      return reply.code(result.created ? 201 : 200).send(result.run);
    },
  );

  app.get<{ Querystring: { page_size?: string; page_token?: string } }>(
    '/runs',
    {
      schema: {
        tags: ['runs'],
        summary: 'List runs, newest first',
        querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuerySchema } },
        response: withProblems({ 200: pageOf('Run') }, [400]),
      },
    },
    async (request) => {
      const page = await store.forTenant(contextOf(request).tenantId).listRuns(pageFrom(request.query));
      return { items: page.items, next_page_token: page.nextPageToken };
    },
  );

  app.get<{ Params: { runId: string } }>(
    '/runs/:runId',
    {
      schema: {
        tags: ['runs'],
        summary: 'Get a run with its counts and aggregate status',
        params: { type: 'object', properties: { runId: { type: 'string', maxLength: 256 } } },
        response: withProblems({ 200: { $ref: 'Run#' } }, [404]),
      },
    },
    async (request) => {
      const run = await store.forTenant(contextOf(request).tenantId).getRun(request.params.runId);
      if (run === null) {
        throw new OrchestratorError('RUN_NOT_FOUND', `run ${request.params.runId} does not exist`, {
          details: { runId: request.params.runId },
        });
      }
      return run;
    },
  );
}
