import {
  auditMetadataOf,
  BACKFILL_STATUSES,
  backfillRequestDigest,
  checkOperatorMetadata,
  OrchestratorError,
  planBackfill,
  validationError,
  type BackfillChangeContext,
  type BackfillRequest,
  type BackfillStateChange,
  type BackfillStatus,
  type BackfillStore,
  type RequestContext,
} from '@stella-orch/core';
import type { FastifyInstance } from 'fastify';
import { idempotencyKeyFrom, pageFrom } from '../http-input.js';
import { contextOf } from '../request-context.js';
import { pageQuerySchema, withProblems } from '../schemas.js';
import {
  backfillBody,
  backfillPreviewSchema,
  backfillSchema,
  backfillWithProgressSchema,
  inlinePageOf,
  watermarkSchema,
} from './backfill-schemas.js';

const LANE_NOTE =
  'Backfill jobs run in their own lane (`lane: backfill`): under each limit of the tenant they hold at most `backfill.laneShare` of a concurrency cap and never draw a rate bucket below the `1 − laneShare` part kept for live traffic.';

const backfillIdParams = {
  type: 'object',
  required: ['backfillId'],
  properties: { backfillId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/**
 * The reason and ticket of a backfill action: the request's operator headers, else the token's
 * `backfill_reason` / `backfill_ticket` (the scope hook made sure one of them gives each).
 */
function backfillMetadata(ctx: RequestContext): { reason: string; ticket: string } {
  const reason = ctx.requestOperator?.reason ?? ctx.backfill?.reason;
  const ticket = ctx.requestOperator?.ticket ?? ctx.backfill?.ticket;
  if (reason === undefined || ticket === undefined) {
    throw validationError([
      { path: 'token.backfill_reason', message: 'a backfill action needs a reason and a ticket' },
    ]);
  }
  return { reason, ticket };
}

/** Who acts and why: the token's backfill claims are the operator's reason and ticket of the entry. */
function changeOf(ctx: RequestContext): BackfillChangeContext {
  const { backfill, ...rest } = ctx;
  return {
    actor: ctx.actor,
    audit: auditMetadataOf({ ...rest, ...(backfill === undefined ? {} : { operator: backfill }) }),
  };
}

/**
 * Backfills (SPEC §2) and watermarks: create (with a dry run), list, get with progress, pause, resume,
 * cancel. Changes need `orch:backfill` (with its reason and ticket) and are audited (`backfill.*`); reads
 * need `orch:read`.
 */
export function registerBackfillRoutes(
  app: FastifyInstance,
  deps: {
    readonly backfills: BackfillStore;
    readonly maxJobs: number;
    readonly defaultMaxAttempts: number;
  },
): void {
  const { backfills } = deps;

  app.post<{ Body: BackfillRequest }>(
    '/backfills',
    {
      schema: {
        tags: ['backfills'],
        summary: 'Create a backfill, or preview it with dryRun (audited as backfill.create)',
        description: `One job per step of [windowStart, windowEnd), all in one new run, created in one transaction; the job payload is the template with the step’s window as window: { start, end }. Refused with 409 BACKFILL_OVERLAP (naming the other) when an active or paused backfill of the same source and job type overlaps the window, 400 BACKFILL_TOO_LARGE over backfill.maxJobs steps. ${LANE_NOTE}`,
        body: backfillBody,
        response: withProblems(
          { 200: { anyOf: [backfillPreviewSchema, backfillSchema] }, 201: backfillSchema },
          [400, 404, 409],
        ),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const body = request.body;
      const { errors, plan, tooMany } = planBackfill(body, deps.maxJobs);
      if (plan === null) throw validationError(errors);
      if (tooMany) {
        throw new OrchestratorError(
          'BACKFILL_TOO_LARGE',
          `the window and step make ${plan.jobCount} jobs; at most ${deps.maxJobs} are allowed (backfill.maxJobs)`,
          { details: { jobCount: plan.jobCount, maxJobs: deps.maxJobs } },
        );
      }
      const { reason, ticket } = backfillMetadata(ctx);
      const metadataErrors = checkOperatorMetadata({ reason, ticket });
      if (metadataErrors.length > 0) throw validationError(metadataErrors);
      const backfill = {
        request: body,
        plan,
        reason,
        ticket,
        defaultMaxAttempts: deps.defaultMaxAttempts,
        correlationId: ctx.correlationId,
        idempotencyKey: idempotencyKeyFrom(request.headers) ?? null,
        requestDigest: backfillRequestDigest(body, plan),
      };
      const store = backfills.forTenant(ctx.tenantId);
      if (body.dryRun === true) return reply.code(200).send(await store.previewBackfill(backfill));
      const result = await store.createBackfill({ backfill, ...changeOf(ctx) });
      if (!result.created) void reply.header('idempotent-replayed', 'true');
      return reply.code(result.created ? 201 : 200).send(result.backfill);
    },
  );

  app.get<{
    Querystring: {
      sourceId?: string;
      jobType?: string;
      status?: BackfillStatus;
      page_size?: string;
      page_token?: string;
    };
  }>(
    '/backfills',
    {
      schema: {
        tags: ['backfills'],
        summary: 'List backfills, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            sourceId: { type: 'string', maxLength: 256 },
            jobType: { type: 'string', maxLength: 128 },
            status: { type: 'string', enum: BACKFILL_STATUSES },
            ...pageQuerySchema,
          },
        },
        response: withProblems({ 200: inlinePageOf(backfillSchema) }, [400]),
      },
    },
    async (request) => {
      const { sourceId, jobType, status } = request.query;
      const page = await backfills.forTenant(contextOf(request).tenantId).listBackfills({
        ...pageFrom(request.query),
        ...(sourceId === undefined ? {} : { sourceId }),
        ...(jobType === undefined ? {} : { jobType }),
        ...(status === undefined ? {} : { status }),
      });
      return { items: page.items, next_page_token: page.nextPageToken };
    },
  );

  app.get<{ Params: { backfillId: string } }>(
    '/backfills/:backfillId',
    {
      schema: {
        tags: ['backfills'],
        summary: 'Get a backfill with its progress (its run’s jobs by status, percent done, the watermark)',
        params: backfillIdParams,
        response: withProblems({ 200: backfillWithProgressSchema }, [404]),
      },
    },
    async (request) => {
      const { backfillId } = request.params;
      const backfill = await backfills.forTenant(contextOf(request).tenantId).getBackfill(backfillId);
      if (backfill === null) {
        throw new OrchestratorError('BACKFILL_NOT_FOUND', `backfill ${backfillId} does not exist`, {
          details: { backfillId },
        });
      }
      return backfill;
    },
  );

  const stateRoutes: readonly { readonly action: BackfillStateChange['action']; readonly summary: string }[] =
    [
      { action: 'pause', summary: 'Pause a backfill: its unfinished jobs are held (running ones finish)' },
      {
        action: 'resume',
        summary:
          'Resume a paused backfill: its held jobs can be leased again (unless their source holds them)',
      },
      {
        action: 'cancel',
        summary: 'Cancel a backfill: its unfinished jobs are canceled (a running one is asked to stop)',
      },
    ];
  for (const { action, summary } of stateRoutes) {
    app.post<{ Params: { backfillId: string }; Body: { reason?: string } }>(
      `/backfills/:backfillId/${action}`,
      {
        schema: {
          tags: ['backfills'],
          summary: `${summary} (audited as backfill.${action})`,
          description:
            'A repeat (pausing a paused backfill…) answers 200 with the backfill as it is and records nothing; a completed or canceled backfill answers 409 BACKFILL_FINISHED.' +
            (action === 'cancel' ? ' The reason defaults to the backfill reason of the token.' : ''),
          params: backfillIdParams,
          body: {
            type: 'object',
            additionalProperties: false,
            properties:
              action === 'cancel' ? { reason: { type: 'string', minLength: 1, maxLength: 1024 } } : {},
          },
          response: withProblems({ 200: backfillSchema }, [400, 404, 409]),
        },
      },
      async (request) => {
        const ctx = contextOf(request);
        const change: BackfillStateChange =
          action === 'cancel'
            ? { action, reason: request.body.reason ?? backfillMetadata(ctx).reason }
            : { action };
        const { backfill } = await backfills.forTenant(ctx.tenantId).changeBackfillState({
          backfillId: request.params.backfillId,
          change,
          ...changeOf(ctx),
        });
        return backfill;
      },
    );
  }

  app.get<{ Querystring: { sourceId?: string; jobType?: string; page_size?: string; page_token?: string } }>(
    '/watermarks',
    {
      schema: {
        tags: ['backfills'],
        summary: 'List the watermarks (greatest event time of succeeded live jobs) by source and job type',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            sourceId: { type: 'string', maxLength: 256 },
            jobType: { type: 'string', maxLength: 128 },
            ...pageQuerySchema,
          },
        },
        response: withProblems({ 200: inlinePageOf(watermarkSchema) }, [400]),
      },
    },
    async (request) => {
      const { sourceId, jobType } = request.query;
      const page = await backfills.forTenant(contextOf(request).tenantId).listWatermarks({
        ...pageFrom(request.query),
        ...(sourceId === undefined ? {} : { sourceId }),
        ...(jobType === undefined ? {} : { jobType }),
      });
      return { items: page.items, next_page_token: page.nextPageToken };
    },
  );

  app.get<{ Params: { sourceId: string; jobType: string } }>(
    '/watermarks/:sourceId/:jobType',
    {
      schema: {
        tags: ['backfills'],
        summary: 'Get the watermark of a source and job type',
        params: {
          type: 'object',
          required: ['sourceId', 'jobType'],
          properties: {
            sourceId: { type: 'string', minLength: 1, maxLength: 256 },
            jobType: { type: 'string', minLength: 1, maxLength: 128 },
          },
        },
        response: withProblems({ 200: watermarkSchema }, [404]),
      },
    },
    async (request) => {
      const { sourceId, jobType } = request.params;
      const watermark = await backfills
        .forTenant(contextOf(request).tenantId)
        .getWatermark(sourceId, jobType);
      if (watermark === null) {
        throw new OrchestratorError(
          'WATERMARK_NOT_FOUND',
          `no live job of source ${sourceId} and job type ${jobType} has advanced a watermark yet`,
          { details: { sourceId, jobType } },
        );
      }
      return watermark;
    },
  );
}
