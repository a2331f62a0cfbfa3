import {
  auditMetadataOf,
  OrchestratorError,
  quotaRequestDigest,
  validationError,
  type Quota,
  type QuotaChangeContext,
  type QuotaDefinition,
  type QuotaLimits,
  type QuotaStateChange,
  type QuotaStore,
  type RequestContext,
} from '@stella-orch/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { expectedVersionFrom, idempotencyKeyFrom, pageFrom } from '../http-input.js';
import { contextOf } from '../request-context.js';
import { emptyBody, pageQuerySchema, pauseBody, withProblems } from '../schemas.js';
import { inlinePageOf } from './backfill-schemas.js';
import { quotaCreateBody, quotaReplaceBody, quotaSchema, quotaSummarySchema } from './limit-schemas.js';

const ENFORCEMENT_NOTE =
  'A quota holds the jobs of its tenant (and job type, when it has one) at the lease grant: every limit that applies to a job must allow its lease, the lowest wins, and a held job waits, never fails (docs/decisions/0016-admission-and-limits.md). A change takes effect at the next lease call.';

const quotaIdParams = {
  type: 'object',
  required: ['quotaId'],
  properties: { quotaId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/**
 * Who acts and why. The reason and ticket kept on the quota, and recorded as the audit entry's, are the
 * request's operator headers, else the token's `quota_reason` / `quota_ticket` (the scope hook made sure
 * one of them gives a reason); the token's operator claims are not a quota action's.
 */
function changeOf(ctx: RequestContext): QuotaChangeContext {
  const reason = ctx.requestOperator?.reason ?? ctx.quota?.reason;
  if (reason === undefined) {
    throw validationError([{ path: 'token.quota_reason', message: 'a quota action needs a reason' }]);
  }
  return {
    actor: ctx.actor,
    reason,
    ticket: ctx.requestOperator?.ticket ?? ctx.quota?.ticket ?? null,
    audit: auditMetadataOf({ ...ctx, operator: ctx.quota ?? {} }),
  };
}

function notFound(quotaId: string): OrchestratorError {
  return new OrchestratorError('QUOTA_NOT_FOUND', `quota ${quotaId} does not exist`, {
    details: { quotaId },
  });
}

/** Sends a quota with its version as the ETag. */
function sendQuota(reply: FastifyReply, quota: Quota, status = 200): FastifyReply {
  return reply.code(status).header('etag', `"${quota.version}"`).send(quota);
}

/**
 * Quotas (SPEC §2 "Limits"): create, list, get, replace, delete, pause/resume, and the usage summary.
 * Changes need `orch:quota` (whose token carries `quota_reason`, and optionally `quota_ticket`) and are
 * audited (`quota.*`) with the change; reads need `orch:read`.
 */
export function registerQuotaRoutes(app: FastifyInstance, deps: { readonly quotas: QuotaStore }): void {
  const { quotas } = deps;

  app.post<{ Body: QuotaDefinition }>(
    '/quotas',
    {
      schema: {
        tags: ['quotas'],
        summary: 'Create a quota for a job type or the whole tenant (audited as quota.create)',
        description: `At most one quota per job type and one tenant-wide (jobType absent or null): another is refused with 409 QUOTA_EXISTS. At least one of maxActive and maxPerHour; burst only with maxPerHour. With an Idempotency-Key, a repeat answers 200 with the quota. ${ENFORCEMENT_NOTE}`,
        body: quotaCreateBody,
        response: withProblems({ 200: quotaSchema, 201: quotaSchema }, [400, 409]),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const body = request.body;
      const result = await quotas.forTenant(ctx.tenantId).createQuota({
        quota: {
          ...body,
          idempotencyKey: idempotencyKeyFrom(request.headers) ?? null,
          requestDigest: quotaRequestDigest(body),
        },
        ...changeOf(ctx),
      });
      if (!result.created) void reply.header('idempotent-replayed', 'true');
      return sendQuota(reply, result.quota, result.created ? 201 : 200);
    },
  );

  app.get<{ Querystring: { jobType?: string; page_size?: string; page_token?: string } }>(
    '/quotas',
    {
      schema: {
        tags: ['quotas'],
        summary: 'List quotas, oldest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { jobType: { type: 'string', maxLength: 128 }, ...pageQuerySchema },
        },
        response: withProblems({ 200: inlinePageOf(quotaSchema) }, [400]),
      },
    },
    async (request) => {
      const { jobType } = request.query;
      const page = await quotas.forTenant(contextOf(request).tenantId).listQuotas({
        ...pageFrom(request.query),
        ...(jobType === undefined ? {} : { jobType }),
      });
      return { items: page.items, next_page_token: page.nextPageToken };
    },
  );

  app.get(
    '/quotas/summary',
    {
      schema: {
        tags: ['quotas'],
        summary: 'Every quota with its usage now (jobs active and ready, tokens), and the tenant’s totals',
        description:
          'active: jobs leased or running in the quota’s scope (the tenant, and its job type when it has one); tokens: its hourly bucket now, from the level the lease grant stored (full when none); readyJobs: pending jobs of the scope that are not held and eligible now. One database clock for all of it.',
        response: withProblems({ 200: quotaSummarySchema }, []),
      },
    },
    async (request) => quotas.forTenant(contextOf(request).tenantId).quotaSummary(),
  );

  app.get<{ Params: { quotaId: string } }>(
    '/quotas/:quotaId',
    {
      schema: {
        tags: ['quotas'],
        summary: 'Get a quota (its version is the ETag)',
        params: quotaIdParams,
        response: withProblems({ 200: quotaSchema }, [404]),
      },
    },
    async (request, reply) => {
      const { quotaId } = request.params;
      const quota = await quotas.forTenant(contextOf(request).tenantId).getQuota(quotaId);
      if (quota === null) throw notFound(quotaId);
      return sendQuota(reply, quota);
    },
  );

  app.put<{ Params: { quotaId: string }; Body: QuotaLimits & { version?: number } }>(
    '/quotas/:quotaId',
    {
      schema: {
        tags: ['quotas'],
        summary: 'Replace a quota’s limits (audited as quota.update)',
        description: `The limits are replaced whole: an absent limit becomes null. Optimistic: with \`If-Match: "N"\` (or \`version: N\` in the body) refused with 412 QUOTA_VERSION_MISMATCH unless the quota is at version N. Limits equal to the current ones record nothing. ${ENFORCEMENT_NOTE}`,
        params: quotaIdParams,
        body: quotaReplaceBody,
        response: withProblems({ 200: quotaSchema }, [400, 404, 412]),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const { version, ...limits } = request.body;
      const expectedVersion = expectedVersionFrom(request.headers['if-match'], version, 'a quota');
      const { quota } = await quotas.forTenant(ctx.tenantId).updateQuota({
        quotaId: request.params.quotaId,
        limits,
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
        ...changeOf(ctx),
      });
      return sendQuota(reply, quota);
    },
  );

  app.delete<{ Params: { quotaId: string } }>(
    '/quotas/:quotaId',
    {
      schema: {
        tags: ['quotas'],
        summary: 'Delete a quota (audited as quota.delete): its scope is no longer limited by it',
        description:
          'With `If-Match: "N"`, refused with 412 QUOTA_VERSION_MISMATCH unless the quota is at version N.',
        params: quotaIdParams,
        response: withProblems({ 204: { type: 'null' } }, [400, 404, 412]),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const expectedVersion = expectedVersionFrom(request.headers['if-match'], undefined, 'a quota');
      await quotas.forTenant(ctx.tenantId).deleteQuota({
        quotaId: request.params.quotaId,
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
        ...changeOf(ctx),
      });
      return reply.code(204).send();
    },
  );

  const stateRoutes: readonly { readonly action: QuotaStateChange['action']; readonly summary: string }[] = [
    {
      action: 'pause',
      summary: 'Pause a quota: the jobs of its scope are held (not leased, never failed) until it is resumed',
    },
    { action: 'resume', summary: 'Resume a paused quota: the jobs of its scope can be leased again' },
  ];
  for (const { action, summary } of stateRoutes) {
    app.post<{ Params: { quotaId: string }; Body: { reason?: string; ticket?: string | null } }>(
      `/quotas/:quotaId/${action}`,
      {
        schema: {
          tags: ['quotas'],
          summary: `${summary} (audited as quota.${action})`,
          description:
            'A repeat (pausing a paused quota, resuming a running one) answers 200 with the quota as it is and records nothing; a paused quota keeps its first reason.',
          params: quotaIdParams,
          body: action === 'pause' ? pauseBody : emptyBody,
          response: withProblems({ 200: quotaSchema }, [400, 404]),
        },
      },
      async (request, reply) => {
        const ctx = contextOf(request);
        const { reason = '', ticket = null } = request.body;
        const change: QuotaStateChange =
          action === 'pause' ? { action, pause: { reason, ticket } } : { action };
        const { quota } = await quotas.forTenant(ctx.tenantId).changeQuotaState({
          quotaId: request.params.quotaId,
          change,
          ...changeOf(ctx),
        });
        return sendQuota(reply, quota);
      },
    );
  }
}
