import {
  type JobService,
  requireJob,
  type JobStore,
  type JobSubmission,
  type JsonValue,
} from '@stella-orch/core';
import type { FastifyInstance } from 'fastify';
import { idempotencyKeyFrom, jobIdFrom, pageFrom, statusesFrom, timeFrom } from '../http-input.js';
import { contextOf } from '../request-context.js';
import { jobIdParams, pageOf, pageQuerySchema, withProblems } from '../schemas.js';

interface JobRouteDeps {
  readonly jobs: JobService;
  readonly store: JobStore;
  readonly maxBatchBodyBytes: number;
}

const historyEntrySchema = {
  type: 'object',
  properties: {
    sequence: { type: 'integer' },
    jobId: { type: 'string' },
    fromStatus: { type: ['string', 'null'] },
    toStatus: { type: 'string' },
    attempt: { type: 'integer' },
    reason: { type: 'string' },
    actor: { type: 'string' },
    details: {},
    occurredAt: { type: 'string' },
  },
} as const;

const artifactSchema = {
  type: 'object',
  properties: {
    artifactId: { type: 'string' },
    jobId: { type: 'string' },
    attempt: { type: 'integer' },
    uri: { type: 'string' },
    digest: { type: 'string' },
    sizeBytes: { type: 'integer' },
    mediaType: { type: 'string' },
    createdAt: { type: 'string' },
  },
} as const;

const countsSchema = { type: 'object', additionalProperties: { type: 'integer' } } as const;

/** Producer, reader and operator routes of jobs. */
export function registerJobRoutes(app: FastifyInstance, deps: JobRouteDeps): void {
  const { jobs, store } = deps;

  app.post<{ Body: JobSubmission }>(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Submit a job',
        body: { $ref: 'JobSubmission#' },
        response: withProblems({ 200: { $ref: 'Job#' }, 201: { $ref: 'Job#' } }, [400, 404, 409, 413]),
      },
    },
    async (request, reply) => {
      const idempotencyKey = idempotencyKeyFrom(request.headers);
      const [created] = await jobs.submitJobs(contextOf(request), [request.body], {
        batch: false,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      });
      if (created === undefined) throw new Error('submitJobs returned nothing');
      if (!created.created) void reply.header('idempotent-replayed', 'true');
      return reply.code(created.created ? 201 : 200).send(created.job);
    },
  );

  app.post<{ Body: { jobs: JobSubmission[] } }>(
    '/jobs/batch',
    {
      bodyLimit: deps.maxBatchBodyBytes,
      schema: {
        tags: ['jobs'],
        summary: 'Submit up to 1,000 jobs in one transaction',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['jobs'],
          properties: {
            jobs: { type: 'array', minItems: 1, maxItems: 1000, items: { $ref: 'JobSubmission#' } },
          },
        },
        response: withProblems(
          {
            201: {
              type: 'object',
              properties: {
                jobs: { type: 'array', items: { $ref: 'Job#' } },
                created: { type: 'integer' },
                existing: { type: 'integer' },
              },
            },
          },
          [400, 404, 409, 413],
        ),
      },
    },
    async (request, reply) => {
      const idempotencyKey = idempotencyKeyFrom(request.headers);
      const results = await jobs.submitJobs(contextOf(request), request.body.jobs, {
        batch: true,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      });
      const created = results.filter((r) => r.created).length;
      if (created === 0) void reply.header('idempotent-replayed', 'true');
      return reply
        .code(201)
        .send({ jobs: results.map((r) => r.job), created, existing: results.length - created });
    },
  );

  app.get<{
    Querystring: {
      status?: string;
      jobType?: string;
      runId?: string;
      created_after?: string;
      created_before?: string;
      page_size?: string;
      page_token?: string;
    };
  }>(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'List jobs, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string' },
            jobType: { type: 'string', maxLength: 128 },
            runId: { type: 'string', maxLength: 256 },
            created_after: { type: 'string' },
            created_before: { type: 'string' },
            ...pageQuerySchema,
          },
        },
        response: withProblems({ 200: pageOf('Job') }, [400]),
      },
    },
    async (request) => {
      const q = request.query;
      const statuses = statusesFrom(q.status);
      const createdAfter = timeFrom(q.created_after, 'querystring.created_after');
      const createdBefore = timeFrom(q.created_before, 'querystring.created_before');
      const page = await store.forTenant(contextOf(request).tenantId).listJobs({
        ...pageFrom(q),
        ...(statuses === undefined ? {} : { statuses }),
        ...(q.jobType === undefined ? {} : { jobType: q.jobType }),
        ...(q.runId === undefined ? {} : { runId: q.runId }),
        ...(createdAfter === undefined ? {} : { createdAfter }),
        ...(createdBefore === undefined ? {} : { createdBefore }),
      });
      return { items: page.items, next_page_token: page.nextPageToken };
    },
  );

  app.get<{ Querystring: { jobType?: string; runId?: string } }>(
    '/jobs/summary',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Count jobs by status, overall and per job type',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { jobType: { type: 'string' }, runId: { type: 'string' } },
        },
        response: withProblems(
          {
            200: {
              type: 'object',
              properties: {
                total: { type: 'integer' },
                byStatus: countsSchema,
                byJobType: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { jobType: { type: 'string' }, byStatus: countsSchema },
                  },
                },
              },
            },
          },
          [400],
        ),
      },
    },
    async (request) => {
      const { jobType, runId } = request.query;
      return store.forTenant(contextOf(request).tenantId).summarizeJobs({
        ...(jobType === undefined ? {} : { jobType }),
        ...(runId === undefined ? {} : { runId }),
      });
    },
  );

  app.get<{ Params: { jobId: string } }>(
    '/jobs/:jobId',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Get a job',
        params: jobIdParams,
        response: withProblems({ 200: { $ref: 'Job#' } }, [404]),
      },
    },
    async (request) => {
      const jobId = jobIdFrom(request.params.jobId);
      return requireJob(await store.forTenant(contextOf(request).tenantId).getJob(jobId), jobId);
    },
  );

  app.get<{ Params: { jobId: string } }>(
    '/jobs/:jobId/history',
    {
      schema: {
        tags: ['jobs'],
        summary: "A job's state transitions, oldest first",
        params: jobIdParams,
        response: withProblems(
          { 200: { type: 'object', properties: { items: { type: 'array', items: historyEntrySchema } } } },
          [404],
        ),
      },
    },
    async (request) => {
      const jobId = jobIdFrom(request.params.jobId);
      return {
        items: requireJob(await store.forTenant(contextOf(request).tenantId).listJobHistory(jobId), jobId),
      };
    },
  );

  app.get<{ Params: { jobId: string } }>(
    '/jobs/:jobId/artifacts',
    {
      schema: {
        tags: ['jobs'],
        summary: "A job's artifacts",
        params: jobIdParams,
        response: withProblems(
          { 200: { type: 'object', properties: { items: { type: 'array', items: artifactSchema } } } },
          [404],
        ),
      },
    },
    async (request) => {
      const jobId = jobIdFrom(request.params.jobId);
      return {
        items: requireJob(await store.forTenant(contextOf(request).tenantId).listJobArtifacts(jobId), jobId),
      };
    },
  );

  const operatorBody = {
    type: 'object',
    additionalProperties: false,
    properties: { reason: { type: 'string', minLength: 1, maxLength: 256 } },
  } as const;

  app.post<{ Params: { jobId: string }; Body: { reason?: string } | undefined }>(
    '/jobs/:jobId/cancel',
    {
      schema: {
        tags: ['operators'],
        summary: 'Cancel a job (a leased job is canceled through its worker)',
        params: jobIdParams,
        body: operatorBody,
        response: withProblems({ 200: { $ref: 'Job#' } }, [400, 404, 409]),
      },
    },
    async (request) =>
      jobs.cancelJob(contextOf(request), jobIdFrom(request.params.jobId), request.body?.reason),
  );

  for (const action of ['retry', 'replay'] as const) {
    app.post<{ Params: { jobId: string }; Body: Record<string, JsonValue> | undefined }>(
      `/jobs/:jobId/${action}`,
      {
        schema: {
          tags: ['operators'],
          summary:
            action === 'retry'
              ? 'Retry a failed or canceled job, or end its back-off now'
              : 'Replay a terminal job as a new job',
          params: jobIdParams,
          body: { type: 'object', additionalProperties: false, properties: {} },
          response: withProblems({ 200: { $ref: 'Job#' }, 201: { $ref: 'Job#' } }, [400, 404, 409]),
        },
      },
      async (request, reply) => {
        const ctx = contextOf(request);
        const jobId = jobIdFrom(request.params.jobId);
        const key = idempotencyKeyFrom(request.headers);
        const result =
          action === 'retry' ? await jobs.retryJob(ctx, jobId, key) : await jobs.replayJob(ctx, jobId, key);
        const isNewJob = result.created && result.job.jobId !== jobId;
        if (!result.created) void reply.header('idempotent-replayed', 'true');
        return reply.code(isNewJob ? 201 : 200).send(result.job);
      },
    );
  }
}
