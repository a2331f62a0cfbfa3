import {
  auditMetadataOf,
  OrchestratorError,
  throttleRequestDigest,
  validationError,
  type RequestContext,
  type ThrottleChangeContext,
  type ThrottleRequest,
  type ThrottleStore,
} from '@stella-orch/core';
import type { FastifyInstance } from 'fastify';
import { idempotencyKeyFrom, pageFrom } from '../http-input.js';
import { contextOf } from '../request-context.js';
import { pageQuerySchema, withProblems } from '../schemas.js';
import { inlinePageOf } from './backfill-schemas.js';
import { throttleCreateBody, throttleSchema } from './limit-schemas.js';

const throttleIdParams = {
  type: 'object',
  required: ['throttleId'],
  properties: { throttleId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/**
 * Who acts and why: the request's operator headers, else the token's `operator_reason` /
 * `operator_ticket` (the scope hook made sure one of them gives each), kept on the throttle and recorded in
 * its audit entry.
 */
function changeOf(ctx: RequestContext): ThrottleChangeContext {
  const reason = ctx.requestOperator?.reason ?? ctx.operator?.reason;
  const ticket = ctx.requestOperator?.ticket ?? ctx.operator?.ticket;
  if (reason === undefined || ticket === undefined) {
    throw validationError([
      { path: 'token.operator_reason', message: 'a throttle needs an operator reason and ticket' },
    ]);
  }
  return { actor: ctx.actor, reason, ticket, audit: auditMetadataOf(ctx) };
}

function booleanFrom(value: 'true' | 'false' | undefined): boolean | undefined {
  return value === undefined ? undefined : value === 'true';
}

/**
 * Throttles (SPEC §2 "Limits"): an operator's temporary override that pauses, lowers the rate or lowers the
 * concurrency of a source, a job type, both, or the whole tenant, until it expires or is revoked. Changes
 * need `orch:operate` (reason and ticket) and are audited (`throttle.create`, `throttle.revoke`); reads
 * need `orch:read`.
 */
export function registerThrottleRoutes(
  app: FastifyInstance,
  deps: { readonly throttles: ThrottleStore },
): void {
  const { throttles } = deps;

  app.post<{ Body: ThrottleRequest }>(
    '/throttles',
    {
      schema: {
        tags: ['throttles'],
        summary:
          'Throttle a source, a job type, both or the tenant until it expires (audited as throttle.create)',
        description:
          'At least one effect (pause, maxPerSecond, maxConcurrent) and exactly one end: durationSeconds (1 s to 30 days) or expiresAt (in the future and within 30 days, by the database clock). A named source must be registered for the tenant (404 SOURCE_NOT_FOUND; nothing is written). The reason and ticket are the operator’s. Every limit that applies to a job must allow its lease and the lowest wins: a throttle can only hold back, and a held job waits, never fails. With an Idempotency-Key, a repeat answers 200 with the throttle.',
        body: throttleCreateBody,
        response: withProblems({ 200: throttleSchema, 201: throttleSchema }, [400, 404, 409]),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const body = request.body;
      const result = await throttles.forTenant(ctx.tenantId).createThrottle({
        throttle: {
          ...body,
          idempotencyKey: idempotencyKeyFrom(request.headers) ?? null,
          requestDigest: throttleRequestDigest(body),
        },
        ...changeOf(ctx),
      });
      if (!result.created) void reply.header('idempotent-replayed', 'true');
      return reply.code(result.created ? 201 : 200).send(result.throttle);
    },
  );

  app.get<{
    Querystring: {
      sourceId?: string;
      jobType?: string;
      active?: 'true' | 'false';
      page_size?: string;
      page_token?: string;
    };
  }>(
    '/throttles',
    {
      schema: {
        tags: ['throttles'],
        summary: 'List throttles, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            sourceId: { type: 'string', maxLength: 256 },
            jobType: { type: 'string', maxLength: 128 },
            active: {
              type: 'string',
              enum: ['true', 'false'],
              description: 'true: only those in force now; false: only revoked or expired ones.',
            },
            ...pageQuerySchema,
          },
        },
        response: withProblems({ 200: inlinePageOf(throttleSchema) }, [400]),
      },
    },
    async (request) => {
      const { sourceId, jobType } = request.query;
      const active = booleanFrom(request.query.active);
      const page = await throttles.forTenant(contextOf(request).tenantId).listThrottles({
        ...pageFrom(request.query),
        ...(sourceId === undefined ? {} : { sourceId }),
        ...(jobType === undefined ? {} : { jobType }),
        ...(active === undefined ? {} : { active }),
      });
      return { items: page.items, next_page_token: page.nextPageToken };
    },
  );

  app.get<{ Params: { throttleId: string } }>(
    '/throttles/:throttleId',
    {
      schema: {
        tags: ['throttles'],
        summary: 'Get a throttle (active: in force now, by the database clock)',
        params: throttleIdParams,
        response: withProblems({ 200: throttleSchema }, [404]),
      },
    },
    async (request) => {
      const { throttleId } = request.params;
      const throttle = await throttles.forTenant(contextOf(request).tenantId).getThrottle(throttleId);
      if (throttle === null) {
        throw new OrchestratorError('THROTTLE_NOT_FOUND', `throttle ${throttleId} does not exist`, {
          details: { throttleId },
        });
      }
      return throttle;
    },
  );

  app.post<{ Params: { throttleId: string }; Body: { reason?: string } }>(
    '/throttles/:throttleId/revoke',
    {
      schema: {
        tags: ['throttles'],
        summary: 'End a throttle now (audited as throttle.revoke)',
        description:
          'Sets revokedAt, revokedBy and revokeReason (the body’s reason, else the operator’s). Revoking a revoked or expired throttle answers 200 with it as it is and records nothing.',
        params: throttleIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            reason: { type: 'string', description: 'Why it ends early (default: the operator reason).' },
          },
        },
        response: withProblems({ 200: throttleSchema }, [400, 404]),
      },
    },
    async (request) => {
      const ctx = contextOf(request);
      const { throttle } = await throttles.forTenant(ctx.tenantId).revokeThrottle({
        throttleId: request.params.throttleId,
        ...(request.body.reason === undefined ? {} : { revokeReason: request.body.reason }),
        ...changeOf(ctx),
      });
      return throttle;
    },
  );
}
