import {
  auditMetadataOf,
  circuitBreakerRequestDigest,
  OrchestratorError,
  type CircuitBreakerChangeContext,
  type CircuitBreakerDefinition,
  type CircuitBreakerSettingsPatch,
  type CircuitBreakerStore,
  type CircuitBreakerView,
  type CircuitState,
  type RequestContext,
} from '@stella-orch/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { expectedVersionFrom, idempotencyKeyFrom, pageFrom } from '../http-input.js';
import { contextOf } from '../request-context.js';
import { emptyBody, pageQuerySchema, withProblems } from '../schemas.js';
import { inlinePageOf } from './backfill-schemas.js';
import {
  circuitBreakerCreateBody,
  circuitBreakerSchema,
  circuitBreakerUpdateBody,
} from './circuit-breaker-schemas.js';

const ENFORCEMENT_NOTE =
  'A breaker watches the attempts of its scope (a source, or a job type) that workers end: it opens when failed attempts reach failureRatio of those ended in the last windowSeconds (at least minVolume of them), and while open nothing of its scope is leased; after coolDownSeconds it is half-open and lets probeLeases jobs through at once, closing once that many succeeded and opening again on a failure. Held jobs wait, they never fail; GET /jobs/{id}/why names the breaker (CIRCUIT_OPEN, CIRCUIT_HALF_OPEN). A change takes effect at the next lease call (docs/decisions/0016-admission-and-limits.md §7).';

const breakerIdParams = {
  type: 'object',
  required: ['breakerId'],
  properties: { breakerId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/** Who acts and why: the operator's reason and ticket (the scope hook made sure of them), for the audit. */
function changeOf(ctx: RequestContext): CircuitBreakerChangeContext {
  return { actor: ctx.actor, audit: auditMetadataOf(ctx) };
}

function notFound(breakerId: string): OrchestratorError {
  return new OrchestratorError('CIRCUIT_BREAKER_NOT_FOUND', `circuit breaker ${breakerId} does not exist`, {
    details: { breakerId },
  });
}

/** Sends a breaker with its version as the ETag. */
function sendBreaker(reply: FastifyReply, breaker: CircuitBreakerView, status = 200): FastifyReply {
  return reply.code(status).header('etag', `"${breaker.version}"`).send(breaker);
}

/**
 * Circuit breakers (SPEC §2 "Limits"): create, list, get, change the settings, delete, reset. Changes need
 * `orch:operate` (the operator's reason and ticket) and are audited (`circuit_breaker.*`); reads need
 * `orch:read`. The state moves by itself, by the evaluator; an operator can only reset it to closed.
 */
export function registerCircuitBreakerRoutes(
  app: FastifyInstance,
  deps: { readonly circuitBreakers: CircuitBreakerStore },
): void {
  const { circuitBreakers } = deps;

  app.post<{ Body: CircuitBreakerDefinition }>(
    '/circuit-breakers',
    {
      schema: {
        tags: ['circuit-breakers'],
        summary: 'Create a circuit breaker on a source or a job type (audited as circuit_breaker.create)',
        description: `Exactly one of sourceId and jobType; the settings not given take their defaults. A source must be registered for the tenant (404 SOURCE_NOT_FOUND). At most one breaker per source and one per job type: another answers 409 CIRCUIT_BREAKER_EXISTS with details.breakerId. Refusals write nothing. With an Idempotency-Key, a repeat answers 200 with the breaker. ${ENFORCEMENT_NOTE}`,
        body: circuitBreakerCreateBody,
        response: withProblems({ 200: circuitBreakerSchema, 201: circuitBreakerSchema }, [400, 404, 409]),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const body = request.body;
      const result = await circuitBreakers.forTenant(ctx.tenantId).createBreaker({
        breaker: {
          ...body,
          idempotencyKey: idempotencyKeyFrom(request.headers) ?? null,
          requestDigest: circuitBreakerRequestDigest(body),
        },
        ...changeOf(ctx),
      });
      if (!result.created) void reply.header('idempotent-replayed', 'true');
      return sendBreaker(reply, result.breaker, result.created ? 201 : 200);
    },
  );

  app.get<{
    Querystring: {
      state?: CircuitState;
      sourceId?: string;
      jobType?: string;
      page_size?: string;
      page_token?: string;
    };
  }>(
    '/circuit-breakers',
    {
      schema: {
        tags: ['circuit-breakers'],
        summary: 'List circuit breakers, oldest first, with their state and the counts of their window',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { type: 'string', enum: ['closed', 'open', 'half_open'] },
            sourceId: { type: 'string', maxLength: 256 },
            jobType: { type: 'string', maxLength: 128 },
            ...pageQuerySchema,
          },
        },
        response: withProblems({ 200: inlinePageOf(circuitBreakerSchema) }, [400]),
      },
    },
    async (request) => {
      const { state, sourceId, jobType } = request.query;
      const page = await circuitBreakers.forTenant(contextOf(request).tenantId).listBreakers({
        ...pageFrom(request.query),
        ...(state === undefined ? {} : { state }),
        ...(sourceId === undefined ? {} : { sourceId }),
        ...(jobType === undefined ? {} : { jobType }),
      });
      return { items: page.items, next_page_token: page.nextPageToken };
    },
  );

  app.get<{ Params: { breakerId: string } }>(
    '/circuit-breakers/:breakerId',
    {
      schema: {
        tags: ['circuit-breakers'],
        summary: 'Get a circuit breaker: its state, openUntil, stateChangedAt and its window’s counts',
        params: breakerIdParams,
        response: withProblems({ 200: circuitBreakerSchema }, [404]),
      },
    },
    async (request, reply) => {
      const { breakerId } = request.params;
      const breaker = await circuitBreakers.forTenant(contextOf(request).tenantId).getBreaker(breakerId);
      if (breaker === null) throw notFound(breakerId);
      return sendBreaker(reply, breaker);
    },
  );

  app.put<{ Params: { breakerId: string }; Body: CircuitBreakerSettingsPatch & { version?: number } }>(
    '/circuit-breakers/:breakerId',
    {
      schema: {
        tags: ['circuit-breakers'],
        summary: 'Change a circuit breaker’s settings (audited as circuit_breaker.update)',
        description:
          'The settings given replace the current ones; those not given stay (at least one). The state is left as it is: an open breaker keeps its openUntil. Optimistic: with `If-Match: "N"` (or `version: N` in the body) refused with 412 CIRCUIT_BREAKER_VERSION_MISMATCH unless the breaker is at version N. Settings equal to the current ones record nothing.',
        params: breakerIdParams,
        body: circuitBreakerUpdateBody,
        response: withProblems({ 200: circuitBreakerSchema }, [400, 404, 412]),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const { version, ...settings } = request.body;
      const expectedVersion = expectedVersionFrom(request.headers['if-match'], version, 'a circuit breaker');
      const { breaker } = await circuitBreakers.forTenant(ctx.tenantId).updateBreaker({
        breakerId: request.params.breakerId,
        settings,
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
        ...changeOf(ctx),
      });
      return sendBreaker(reply, breaker);
    },
  );

  app.delete<{ Params: { breakerId: string } }>(
    '/circuit-breakers/:breakerId',
    {
      schema: {
        tags: ['circuit-breakers'],
        summary:
          'Delete a circuit breaker (audited as circuit_breaker.delete): its scope is no longer held by it',
        description:
          'Its outcome counts go with it. With `If-Match: "N"`, refused with 412 CIRCUIT_BREAKER_VERSION_MISMATCH unless the breaker is at version N.',
        params: breakerIdParams,
        response: withProblems({ 204: { type: 'null' } }, [400, 404, 412]),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const expectedVersion = expectedVersionFrom(
        request.headers['if-match'],
        undefined,
        'a circuit breaker',
      );
      await circuitBreakers.forTenant(ctx.tenantId).deleteBreaker({
        breakerId: request.params.breakerId,
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
        ...changeOf(ctx),
      });
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { breakerId: string } }>(
    '/circuit-breakers/:breakerId/reset',
    {
      schema: {
        tags: ['circuit-breakers'],
        summary:
          'Reset a circuit breaker to closed now (audited as circuit_breaker.reset, with a circuit.closed event)',
        description:
          'From open or half-open: closed, openUntil cleared, the probe counts and the window emptied (the failures it was reset after do not open it again), stateChangedAt now; the jobs of its scope can be leased at once. Resetting a closed breaker answers 200 with it as it is and records nothing. The version (of the settings) stays.',
        params: breakerIdParams,
        body: emptyBody,
        response: withProblems({ 200: circuitBreakerSchema }, [400, 404]),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const { breaker } = await circuitBreakers.forTenant(ctx.tenantId).resetBreaker({
        breakerId: request.params.breakerId,
        ...changeOf(ctx),
      });
      return sendBreaker(reply, breaker);
    },
  );
}
